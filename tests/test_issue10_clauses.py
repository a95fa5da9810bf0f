"""Issue 10: match, JsonLogic and FHIR read the model's assertions, conditions, permissions, logic tree and
exceptions (schema 2.1), not the raw text. Each example of the issue with a patient and the answer expected (the
right one, or unknown where the record cannot settle it); :func:`screened` checks JsonLogic agrees on each.

The patients are the audit's (``examples/patient-*.json``) and variants of them written here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_issue11_screening import CHILD, CKD, EXAMPLES, NSCLC, PREGNANT, _fhir_criterion, screened


def _listing(parser, inclusion: str = "", exclusion: str = ""):
    text = ""
    if inclusion:
        text += "Inclusion Criteria:\n" + inclusion + "\n"
    if exclusion:
        text += "Exclusion Criteria:\n" + exclusion + "\n"
    return parser.parse_text(text)


def _variant(tmp_path: Path, base: str, name: str, results: dict = {}, diagnoses: list = (),
             drop: tuple = ()) -> Path:
    """A copy of an example patient with some results replaced (name -> value, unit, reference range) and
    diagnoses added, written as ``patient-<name>.json`` under ``tmp_path``; returns ``tmp_path``."""
    patient = json.loads((EXAMPLES / f"patient-{base}.json").read_text(encoding="utf-8"))
    patient["id"] = f"patient-{name}"
    kept = [r for r in patient["results"] if r["name"] not in results and r["name"] not in drop]
    for result, (value, unit, high) in results.items():
        row = {"name": result, "value": value, "unit": unit, "date": patient["as_of"]}
        if high is not None:
            row["reference_range"] = {"low": 0, "high": high, "unit": unit}
        kept.append(row)
    patient["results"] = kept
    patient["diagnoses"] = [*patient["diagnoses"], *diagnoses]
    (tmp_path / f"patient-{name}.json").write_text(json.dumps(patient), encoding="utf-8")
    return tmp_path


CREATININE = "1. Creatinine ≤1.5×ULN OR CrCl ≥60 mL/min for subjects with creatinine >1.5×ULN"


def test_issue_10_or_between_measurements_with_a_condition(parser, tmp_path):
    """'creatinine ≤1.5×ULN OR CrCl ≥60 for subjects with creatinine >1.5×ULN' was required as all, both ≤ and >
    1.5 × ULN: never met."""
    listing = _listing(parser, CREATININE)
    assert screened(listing, NSCLC)["inclusion 1"] == "met"  # creatinine 0.9 mg/dL, ULN 1.3
    assert screened(listing, CKD)["inclusion 1"] == "unknown"  # 1.67 × ULN, no CrCl recorded
    high = {"creatinine": (2.6, "mg/dL", 1.3)}
    cleared = _variant(tmp_path, NSCLC, "cleared", {**high, "creatinine clearance": (70, "mL/min", None)})
    assert screened(listing, "cleared", examples=cleared)["inclusion 1"] == "met"
    low = _variant(tmp_path, NSCLC, "low-crcl", {**high, "creatinine clearance": (40, "mL/min", None)})
    assert screened(listing, "low-crcl", examples=low)["inclusion 1"] == "not met"


def test_issue_10_inr_or_pt(parser):
    """'INR or PT ≤1.5×ULN' required both."""
    listing = _listing(parser, "1. INR or PT ≤1.5×ULN")
    assert screened(listing, NSCLC)["inclusion 1"] == "met"  # INR 1.0 (ULN 1.2), no PT


def test_issue_10_alt_or_ast(parser, tmp_path):
    """'ALT or AST >2×ULN' dropped ALT."""
    listing = _listing(parser, exclusion="1. ALT or AST >2×ULN")
    assert screened(listing, NSCLC)["exclusion 1"] == "not met"
    raised = _variant(tmp_path, NSCLC, "alt-high", {"ALT": (150, "U/L", 56)})
    assert screened(listing, "alt-high", examples=raised)["exclusion 1"] == "met"


def test_issue_10_treatments_listed_with_or(parser):
    """'chemotherapy, targeted therapy or ... within 4 weeks' passed a patient on chemotherapy 21 days ago."""
    listing = _listing(parser, exclusion="1. Chemotherapy, targeted therapy or immunotherapy within 4 weeks "
                                         "before the first dose")
    assert screened(listing, NSCLC)["exclusion 1"] != "not met"


def test_issue_10_ecog_or_lansky_by_age(parser):
    """'ECOG 0–1 (age ≥16) or Lansky (<16)': the 45-year-old with ECOG 1 was not met."""
    listing = _listing(parser, "1. ECOG 0–1 (age ≥16) or Lansky ≥50 (<16)")
    assert screened(listing, NSCLC)["inclusion 1"] in ("met", "unknown")


def test_issue_10_a_condition_false_skips_the_check(parser):
    """'Participants with HBV must be treated ...': a patient with HBV ruled out was not met."""
    listing = _listing(parser, "1. Participants with HBV must be treated with antiviral therapy")
    assert screened(listing, NSCLC)["inclusion 1"] == "met"  # hepatitis B ruled out


def test_issue_10_conditions_by_a_lab_or_an_age(parser):
    """'potassium ... if eGFR ≥45' and 'calcium ... for subjects ≥2 years' were requirements."""
    listing = _listing(parser, "1. Serum potassium ≤ 5.5 mEq/L if eGFR ≥45 mL/min/1.73m2\n"
                               "2. Corrected calcium ≤ 11.5 mg/dL for subjects ≥2 years")
    answers = screened(listing, CKD)
    assert answers["inclusion 1"] == "met"  # eGFR 31: the potassium limit does not apply
    assert answers["inclusion 2"] == "unknown"  # 67 years: the limit applies, and no calcium is recorded


def test_issue_10_recovered_from_surgery(parser):
    """'must have recovered from major surgery ≥28 days': no surgery was not met."""
    listing = _listing(parser, "1. Must have recovered from major surgery ≥28 days before enrollment")
    assert screened(listing, NSCLC)["inclusion 1"] != "not met"


@pytest.mark.parametrize("text", [
    "Palliative radiotherapy of ≤2 weeks is allowed",
    "Prior radiotherapy is permitted if completed within 5 days before randomization",
])
def test_issue_10_a_permission_never_excludes(parser, text):
    listing = _listing(parser, exclusion=f"1. {text}")
    for patient in (NSCLC, CKD):
        assert screened(listing, patient)["exclusion 1"] != "met"


def test_issue_10_an_exception_substitutes_its_limit(parser, tmp_path):
    """'AST ≤3×ULN, except ... liver metastasis ... AST ≤5×ULN' with AST at 0.75 × ULN was not met."""
    listing = _listing(parser, "1. AST ≤3×ULN, except in patients with liver metastasis AST ≤5×ULN")
    assert screened(listing, NSCLC)["inclusion 1"] == "met"  # AST 28, ULN 40
    raised = _variant(tmp_path, NSCLC, "ast-4x", {"AST": (160, "U/L", 40)})
    assert screened(listing, "ast-4x", examples=raised)["inclusion 1"] == "unknown"  # liver metastases unrecorded


def test_issue_10_unless_is_an_alternative_limit(parser, tmp_path):
    """'creatinine ≤1.5 mg/dL unless CrCl ≥60' with both satisfied was not met."""
    listing = _listing(parser, "1. Creatinine ≤1.5 mg/dL unless CrCl ≥60 mL/min")
    assert screened(listing, NSCLC)["inclusion 1"] == "met"
    high = _variant(tmp_path, NSCLC, "crea-high", {"creatinine": (2.0, "mg/dL", 1.3),
                                                  "creatinine clearance": (70, "mL/min", None)})
    assert screened(listing, "crea-high", examples=high)["inclusion 1"] == "met"


def test_issue_10_an_exemption_lets_its_patients_pass(parser, tmp_path):
    """A patient with Gilbert's syndrome where the exception names it was not met."""
    listing = _listing(parser, "1. Total bilirubin ≤ 1.5 × ULN (except patients with Gilbert's syndrome)")
    gilbert = _variant(tmp_path, NSCLC, "gilbert", {"total bilirubin": (3.0, "mg/dL", 1.2)},
                       [{"name": "Gilbert's syndrome", "code": "E80.4", "status": "active", "onset": "2000-01-01"}])
    assert screened(listing, "gilbert", examples=gilbert)["inclusion 1"] in ("met", "unknown")
    assert screened(listing, NSCLC)["inclusion 1"] == "met"


@pytest.mark.parametrize("text", ["HBV/HCV/HIV/syphilis/TB",
                                  "History of MI, unstable angina, CABG, stroke or arrhythmia within 6 months"])
def test_issue_10_a_list_with_an_unrecorded_item_is_unknown(parser, text):
    listing = _listing(parser, exclusion=f"1. {text}")
    assert screened(listing, NSCLC)["exclusion 1"] == "unknown"


def test_issue_10_at_least_one_of_the_following(parser):
    listing = _listing(parser, "1. At least one of the following:\n   a. HbA1c ≥ 6.5%\n   b. Fasting glucose ≥ 7.0 mmol/L")
    assert listing.sections[0].criteria[0].logic == "any"
    assert screened(listing, CKD)["inclusion 1"] == "met"  # HbA1c 7.1 %


def test_issue_10_at_least_two_of_the_following(parser):
    listing = _listing(parser, "1. At least two of the following:\n   a. HbA1c ≥ 6.5%\n   b. BMI ≥ 35 kg/m2\n"
                               "   c. Systolic blood pressure ≥ 140 mmHg")
    criterion = listing.sections[0].criteria[0]
    assert (criterion.logic, criterion.logic_count) == ("at_least", 2)
    assert screened(listing, CKD)["inclusion 1"] == "met"  # HbA1c 7.1 %, SBP 142 (BMI 28.9)


@pytest.mark.parametrize("text", ["Inability to understand the protocol or to give informed consent",
                                  "Informed consent cannot be obtained"])
def test_issue_10_negated_consent(parser, text):
    listing = _listing(parser, exclusion=f"1. {text}")
    assert screened(listing, NSCLC)["exclusion 1"] == "not met"  # consent signed


@pytest.mark.parametrize("text", ["Women of childbearing potential unwilling to use contraception",
                                  "Women of childbearing potential not using highly effective contraception"])
def test_issue_10_unwilling_and_not_using_are_negations(parser, text):
    listing = _listing(parser, exclusion=f"1. {text}")
    assert screened(listing, PREGNANT)["exclusion 1"] != "not met"


def test_issue_10_fhir_states_the_condition_and_the_alternative(parser):
    listing = _listing(parser, CREATININE)
    combination = _fhir_criterion(listing, "inclusion-1")["definitionByCombination"]
    assert combination["code"] == "any-of"


def test_a_limit_an_exclusion_restates_is_not_turned_round(parser):
    """'Patients with serum creatinine > 1.5 mg/dL are excluded': in an exclusion, 'are excluded' restates it (the
    limit excludes), in an inclusion it negates the limit; read as a negation in both, the exclusion ran backwards
    (a patient at 1.7 mg/dL was cleared)."""
    text = "1. Patients with serum creatinine > 1.5 mg/dL are excluded"
    exclusion, inclusion = _listing(parser, exclusion=text), _listing(parser, inclusion=text)
    assert screened(exclusion, CKD)["exclusion 1"] == "met"  # creatinine 150 µmol/L = 1.7 mg/dL
    assert screened(exclusion, NSCLC)["exclusion 1"] == "not met"  # 0.9 mg/dL
    assert screened(inclusion, CKD)["inclusion 1"] == "not met"
    assert screened(inclusion, NSCLC)["inclusion 1"] == "met"



@pytest.mark.parametrize("text", ["1. Pregnant or breastfeeding women are excluded",
                                  "1. Pregnant women will be excluded"])
def test_a_cue_that_restates_an_exclusion_reads_the_same_in_the_matcher(parser, text):
    """The matcher's restating cues are the ConText rules' (``"restates": "exclusion"`` in context.jsonl, no list
    of its own): in an exclusion 'are excluded' bars the pregnant patient, in an inclusion it negates."""
    assert screened(_listing(parser, exclusion=text), PREGNANT)["exclusion 1"] == "met"
    assert screened(_listing(parser, exclusion=text), NSCLC)["exclusion 1"] == "not met"
    inclusion = _listing(parser, inclusion="1. Pregnant women are excluded")
    assert screened(inclusion, PREGNANT)["inclusion 1"] == "not met"


def test_a_limit_relaxed_under_a_condition_after_a_sentence_break_is_an_alternative(parser, tmp_path):
    """'Total bilirubin < 1.5 × ULN. If taking atazanavir, total bilirubin ≤ 5 × ULN is acceptable' required both
    limits (the second a permission): a patient on atazanavir at 2.5 × ULN was 'not met'."""
    listing = _listing(parser, "1. Total bilirubin < 1.5 × ULN. If taking atazanavir, total bilirubin ≤ 5 × ULN "
                               "is acceptable")
    assert listing.sections[0].criteria[0].tree.logic == "any"
    on = [{"name": "atazanavir", "start": "2026-01-01"}]
    for name, bilirubin, treatments, answer in (("bili-low", 1.0, [], "met"), ("bili-on", 3.0, on, "unknown"),
                                                ("bili-high", 7.0, on, "not met")):
        examples = _variant(tmp_path, NSCLC, name, {"total bilirubin": (bilirubin, "mg/dL", 1.2)})
        patient = json.loads((examples / f"patient-{name}.json").read_text(encoding="utf-8"))
        patient["treatments"] = [*patient["treatments"], *treatments]
        (examples / f"patient-{name}.json").write_text(json.dumps(patient), encoding="utf-8")
        assert screened(listing, name, examples=examples)["inclusion 1"] == answer, name

def _treated(tmp_path: Path, name: str, treatments: list[dict]) -> Path:
    """The NSCLC patient with ``treatments`` added to the complete history, as ``patient-<name>.json``."""
    patient = json.loads((EXAMPLES / f"patient-{NSCLC}.json").read_text(encoding="utf-8"))
    patient["id"] = f"patient-{name}"
    patient["treatments"] = [*patient["treatments"], *treatments]
    (tmp_path / f"patient-{name}.json").write_text(json.dumps(patient), encoding="utf-8")
    return tmp_path


def test_an_exclusions_exception_on_the_events_it_counts_never_clears_a_patient_with_both(parser, tmp_path):
    """'Radiotherapy within 4 weeks, except palliative radiotherapy within 2 weeks' was 'R and not E': radiotherapy
    8 days ago is both, and cleared the patient, who may have had other radiotherapy inside the 4 weeks."""
    listing = _listing(parser, exclusion="1. Radiotherapy within 4 weeks before screening, except palliative "
                                         "radiotherapy within 2 weeks")
    recent = _treated(tmp_path, "rt-8-days", [{"name": "radiotherapy", "start": "2026-11-05", "end": "2026-11-12"}])
    assert screened(listing, "rt-8-days", examples=recent)["exclusion 1"] == "unknown"
    earlier = _treated(tmp_path, "rt-20-days", [{"name": "radiotherapy", "start": "2026-10-25", "end": "2026-10-31"}])
    assert screened(listing, "rt-20-days", examples=earlier)["exclusion 1"] == "met"
    assert screened(listing, NSCLC)["exclusion 1"] == "not met"  # a complete history without radiotherapy
    # FHIR says what it can of the same plan: the window, and the excepted window as an exclude beside it
    parts = _fhir_criterion(listing, "exclusion-1")["definitionByCombination"]["characteristic"]
    assert [bool(p.get("exclude")) for p in parts] == [False, True]
    assert [p["timeFromEvent"][0]["range"]["low"]["value"] for p in parts] == [-4, -2]  # weeks


def test_an_exclusions_exception_on_another_measure_is_its_way_out(parser, tmp_path):
    """'Serum creatinine > 1.5 mg/dL unless CrCl ≥ 60 mL/min': excluded when the creatinine is high and the
    clearance low; a high creatinine with a clearance of 70 is not excluded (one latest value each: no overlap)."""
    listing = _listing(parser, exclusion="1. Serum creatinine > 1.5 mg/dL unless creatinine clearance ≥ 60 mL/min")
    high = {"creatinine": (2.0, "mg/dL", 1.3)}
    cleared = _variant(tmp_path, NSCLC, "crcl-70", {**high, "creatinine clearance": (70, "mL/min", None)})
    assert screened(listing, "crcl-70", examples=cleared)["exclusion 1"] == "not met"
    low = _variant(tmp_path, NSCLC, "crcl-40", {**high, "creatinine clearance": (40, "mL/min", None)})
    assert screened(listing, "crcl-40", examples=low)["exclusion 1"] == "met"
    assert screened(listing, NSCLC)["exclusion 1"] == "not met"  # 0.9 mg/dL


def test_an_exclusions_exception_with_a_limit_of_its_own_substitutes_it(parser, tmp_path):
    """'ALT > 3 × ULN, except in liver metastases ALT > 5 × ULN' was 'R and not E': ALT at 6 × ULN is both, and
    was cleared; the exception only raises the limit (with metastases or without, 6 × ULN excludes)."""
    listing = _listing(parser, exclusion="1. ALT > 3 × ULN, except in patients with liver metastases where ALT > "
                                         "5 × ULN")
    raised = _variant(tmp_path, NSCLC, "alt-6x", {"ALT": (336, "U/L", 56)})
    assert screened(listing, "alt-6x", examples=raised)["exclusion 1"] != "not met"
    assert screened(listing, NSCLC)["exclusion 1"] == "not met"  # ALT 32 U/L, under 3 × ULN


def test_issue_10_a_parenthesised_condition_on_each_alternative(parser, tmp_path):
    """'ECOG 0–1 (age ≥16) or Lansky ≥50 (<16)': the 45-year-old with ECOG 1 was 'not met' ('(<16)' was a Lansky
    limit); each alternative now holds under its own age, the second's parallel to the first's."""
    listing = _listing(parser, "1. ECOG 0–1 (age ≥16) or Lansky ≥50 (<16)")
    assert screened(listing, NSCLC)["inclusion 1"] == "met"  # 45 years, ECOG 1
    unfit = _variant(tmp_path, NSCLC, "ecog-3", {"ECOG": (3, None, None)})
    assert screened(listing, "ecog-3", examples=unfit)["inclusion 1"] == "not met"
    assert screened(listing, CHILD)["inclusion 1"] == "unknown"  # 12 years, no Lansky score recorded


@pytest.mark.parametrize("text, answer", [
    ("Palliative radiotherapy within 2 weeks before the first dose is allowed", "not met"),
    ("Patients with treated brain metastases may be enrolled", "not met"),
    # what the condition leaves out is excluded, so the criterion asks something: unknown
    ("Radiotherapy is permitted if completed within 5 days before enrollment", "unknown"),
    ("Only palliative radiotherapy is allowed", "unknown"),  # the rest is excluded
])
def test_an_exclusion_that_only_permits_never_excludes(parser, text, answer):
    """A permission never excludes: an exclusion whose words are one permission, with no condition, restriction,
    exception or other words, is not met (was unknown for every patient); JsonLogic agrees (screened)."""
    listing = _listing(parser, exclusion=f"1. {text}")
    assert {screened(listing, name)["exclusion 1"] for name in (CKD, NSCLC, PREGNANT, CHILD)} == {answer}


def test_an_inclusion_that_only_permits_stays_unknown(parser):
    listing = _listing(parser, "1. Prior hormonal therapy is permitted")
    assert screened(listing, NSCLC)["inclusion 1"] == "unknown"


def test_bounds_that_cannot_both_hold_are_alternatives(parser):
    """'Age below 18 and above 65 years' (exclusion): read as all, no patient could meet it."""
    listing = _listing(parser, exclusion="1. Age below 18 and above 65 years")
    assert screened(listing, CKD)["exclusion 1"] == "met"  # 67
    assert screened(listing, CHILD)["exclusion 1"] == "met"  # 12
    assert screened(listing, NSCLC)["exclusion 1"] == "not met"  # 45
