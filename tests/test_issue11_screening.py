"""Issue 11: a wrong screening answer is worse than unknown. Each defect pinned with its patient, JsonLogic agreeing.

The patients are the audit's (``examples/patient-*.json``); the listings are small texts of our own in the shape
of the ct.gov criteria the audit found misread.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from json_logic import jsonLogic

from criteria_parser.export.fhir import export_fhir
from criteria_parser.export.jsonlogic import export_jsonlogic, jsonlogic_data
from criteria_parser.grammar.loader import load_grammars
from criteria_parser.grammar.matching import load_matching_grammar
from criteria_parser.grammar.units import UnitMismatch, convert, normalize_unit
from criteria_parser.match.facts import build_facts
from criteria_parser.match.patient_files import load_patient
from criteria_parser.match.plan import TRUTH_WORDS
from criteria_parser.match.compiler import compile_listing
from criteria_parser.match.screen import assess
from criteria_parser.parser import Parser
from criteria_parser.registry.records.parse import parse_records
from criteria_parser.registry.records.record import Record

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CKD, NSCLC, PREGNANT, CHILD = "ckd-prednisone", "nsclc-chemo", "pregnant", "asthma-child"
MATCHING = load_matching_grammar()


@pytest.fixture(scope="module")
def parser():
    return Parser()


def _record(parser, text="Inclusion Criteria:\n1. Signed informed consent.", **fields):
    record = Record(id="NCT00000011", source="test", format="test", text=text, **fields)
    (_, listing), = parse_records(parser, [record])
    return listing


def _fhir_criterion(listing, link_id: str) -> dict:
    grammars, matching = load_grammars(), load_matching_grammar()
    bundle = export_fhir(compile_listing(listing, grammars, matching), grammars, matching)
    resources = [e["resource"] for e in bundle["entry"]]
    variable = next(r for r in resources if r["resourceType"] == "EvidenceVariable")
    criteria = variable["characteristic"][0]["definitionByCombination"]["characteristic"]
    return next(c for c in criteria if c.get("linkId") == link_id)


def screened(listing, name: str, fhir: bool = False, examples: Path = EXAMPLES) -> dict[str, str]:
    """Each criterion's answer for an example patient, checked against the JsonLogic export of the same plan."""
    grammars, matching = load_grammars(), load_matching_grammar()
    patient = load_patient(examples / f"patient-{name}{'.fhir' if fhir else ''}.json")
    plan = compile_listing(listing, grammars, matching)
    facts = build_facts(patient, plan, grammars, matching)
    result = assess(plan, facts, matching, patient.id, "test")
    rules = json.loads(json.dumps(export_jsonlogic(plan)))["criteria"]
    data = json.loads(json.dumps(jsonlogic_data(facts)))
    for rule, criterion in zip(rules, result.criteria, strict=True):
        assert TRUTH_WORDS[float(jsonLogic(rule["rule"], data))] == criterion.result, criterion.label
    return {f"{c.section} {c.label}": c.result for c in result.criteria}


def every_patient(listing, *labels: str) -> set[tuple[str, ...]]:
    """The answers to ``labels`` that the four audit patients give, each answer tuple once."""
    return {tuple(screened(listing, name)[label] for label in labels) for name in (CKD, NSCLC, PREGNANT, CHILD)}


def test_issue_11_1_registry_age_limits_both_hold(parser):
    listing = _record(parser, minimum_age="18 Years", maximum_age="65 Years")
    assert screened(listing, CKD)["inclusion registry"] == "not met"  # 67: over 65
    assert screened(listing, CHILD)["inclusion registry"] == "not met"  # 12: under 18
    assert screened(listing, NSCLC)["inclusion registry"] == "met"
    assert screened(listing, NSCLC, fhir=True)["inclusion registry"] == "met"
    assert _fhir_criterion(listing, "inclusion-registry")["definitionByCombination"]["code"] == "all-of"


def test_issue_11_2_the_registry_sex_is_read(parser):
    listing = _record(parser, sex="FEMALE", minimum_age="18 Years")  # as NCT02663973
    assert screened(listing, NSCLC)["inclusion registry"] == "not met"
    assert screened(listing, NSCLC, fhir=True)["inclusion registry"] == "not met"
    assert screened(listing, PREGNANT)["inclusion registry"] == "met"


def _listing(parser, text: str):
    return parser.parse_text(text, source="issue-11")


@pytest.mark.parametrize("limit", ["Total bilirubin < 3", "Creatinine less than 1.5", "Platelet count of ≥ 50,000"])
def test_issue_11_3_a_limit_without_a_unit_is_unknown(parser, limit):
    listing = _listing(parser, f"Inclusion Criteria:\n1. {limit}\n")
    assert screened(listing, NSCLC)["inclusion 1"] == "unknown"
    assert screened(listing, CKD)["inclusion 1"] == "unknown"


def test_issue_11_3_a_measure_with_one_unit_keeps_its_bare_limits(parser):
    listing = _listing(parser, "Inclusion Criteria:\n1. LVEF ≥ 50\n2. Total bilirubin ≤2.5 upper limit of normal (ULN)\n")
    assert screened(listing, NSCLC)["inclusion 1"] == "met"
    assert screened(listing, CKD)["inclusion 2"] == "met"  # a multiple of the ULN, not 2.5 µmol/L


@pytest.mark.parametrize("line", MATCHING.affine_conversions, ids=lambda line: line.analyte)
def test_issue_11_4_affine_conversions_reproduce_their_published_table(line):
    for value, printed in line.table:
        assert round(convert(value, line.unit, line.target, MATCHING, analyte=line.analyte)) == printed
        assert convert(printed, line.target, line.unit, MATCHING, analyte=line.analyte) == pytest.approx(value, abs=0.05)


def test_issue_11_4_hba1c_in_mmol_per_mol_is_not_a_plain_ratio(parser):
    assert convert(36, "mmol/mol", "%", MATCHING, analyte="HbA1c") == pytest.approx(5.44, abs=0.01)
    with pytest.raises(UnitMismatch):
        convert(7.1, "%", "mmol/mol", MATCHING)  # without the analyte's equation, two ratios never convert
    listing = _listing(parser, "Inclusion Criteria:\n1. HbA1c ≤ 53 mmol/mol\n2. HbA1c < 6.5%\n")
    ckd, pregnant = screened(listing, CKD), screened(listing, PREGNANT, fhir=True)
    assert ckd["inclusion 1"] == "not met"  # 7.1 % is 54 mmol/mol
    assert pregnant["inclusion 2"] == "met"  # 36 mmol/mol is 5.4 %


@pytest.mark.parametrize("written,value,target,expected", [
    ("/uL", 7600, "10*9/L", 7.6), ("cells/uL", 2100, "10*9/L", 2.1), ("K/uL", 168, "10*9/L", 168),
    ("G/L", 240, "10*9/L", 240), ("IU/L", 22, "U/L", 22), ("mEq/L", 5.1, "mmol/L", 5.1),
    ("mL/min/1.73m2", 31, "mL/min/{1.73_m2}", 31), ("/mm3", 290000, "10*9/L", 290),
])
def test_issue_11_5_everyday_spellings_of_patient_units_are_read(written, value, target, expected):
    unit = normalize_unit(written, MATCHING)
    assert convert(value, unit, target, MATCHING, analyte="potassium") == pytest.approx(expected)


def test_issue_11_5_equivalents_convert_by_the_ions_charge():
    assert convert(2, "meq/L", "mmol/L", MATCHING, analyte="calcium") == 1
    with pytest.raises(UnitMismatch):
        convert(2, "meq/L", "mmol/L", MATCHING, analyte="phosphate")  # charge unknown: no guess


def test_issue_11_5_patients_with_everyday_spellings_are_screened(parser):
    listing = _listing(parser, "Inclusion Criteria:\n1. AST ≤ 3 x ULN\n2. Potassium < 5.5 mmol/L\n"
                               "3. Platelets ≥ 100 x 10^9/L\n4. ANC ≥ 1.5 x 10^9/L\n")
    ckd, nsclc = screened(listing, CKD), screened(listing, NSCLC, fhir=True)
    assert (ckd["inclusion 1"], ckd["inclusion 2"]) == ("met", "met")  # AST in IU/L, potassium in mEq/L
    assert (nsclc["inclusion 3"], nsclc["inclusion 4"]) == ("met", "met")  # K/uL, cells/uL


def test_issue_11_6_creatinine_clearance_is_not_a_clearance_per_body_surface(parser):
    listing = _listing(parser, "Inclusion Criteria:\n1. Creatinine clearance ≥ 60 mL/min/1.73 m2\n"
                               "2. Creatinine clearance ≥ 60 mL/min\n3. eGFR ≥ 30 mL/min/1.73 m2\n")
    nsclc, ckd = screened(listing, NSCLC), screened(listing, CKD)
    assert (nsclc["inclusion 1"], nsclc["inclusion 2"]) == ("unknown", "met")  # 104 mL/min, no body surface
    assert ckd["inclusion 3"] == "met"  # eGFR 31 mL/min/1.73m2


def test_issue_11_7_a_list_with_items_no_check_reads_is_answered_in_part_only(parser):
    listing = _listing(parser, "Inclusion Criteria:\n1. Able to read and understand the English informed consent form\n"
                               "2. Signed written informed consent\nExclusion Criteria:\n"
                               "1. HBV/HCV/HIV/syphilis/TB infection\n2. Hepatitis B or hepatitis C\n")
    nsclc = screened(listing, NSCLC)
    assert nsclc["inclusion 1"] == "unknown"  # consent is recorded, English is not
    assert nsclc["inclusion 2"] == "met"
    assert nsclc["exclusion 1"] == "unknown"  # HBV and HCV ruled out; syphilis and TB nowhere
    assert nsclc["exclusion 2"] == "not met"


def test_issue_11_8_another_malignancy_is_not_the_patients_own(parser):
    listing = _listing(parser, "Exclusion Criteria:\n1. Previous history of other malignancy\n"
                               "2. Any patients having active malignancy\n")
    nsclc, ckd = screened(listing, NSCLC), screened(listing, CKD)
    assert nsclc["exclusion 1"] == "unknown"  # his lung cancer may be the trial's own
    assert (nsclc["exclusion 2"], ckd["exclusion 2"]) == ("met", "not met")  # her breast cancer resolved in 2015


def test_issue_11_9_an_anticipated_surgery_is_in_no_record(parser):
    listing = _listing(parser, "Exclusion Criteria:\n1. Major surgical procedure within 4 weeks of the first dose "
                               "or an anticipated need for major surgery during the study\n")
    assert screened(listing, NSCLC)["exclusion 1"] == "unknown"


def test_issue_11_10_a_class_without_a_member_list_is_not_absent_from_a_history(parser, tmp_path):
    listing = _listing(parser, "Exclusion Criteria:\n1. Major surgery within 4 weeks before enrollment\n"
                               "2. Immunotherapy within the last 4 weeks\n")
    nsclc = screened(listing, NSCLC)
    assert nsclc["exclusion 1"] == "not met"  # every treatment of his is a drug of an ATC class
    assert nsclc["exclusion 2"] == "met"  # pembrolizumab (ATC L01FF) 21 days ago
    data = json.loads((EXAMPLES / "patient-ckd-prednisone.json").read_text(encoding="utf-8"))
    data["treatments"].append({"name": "lumpectomy", "start": "2026-11-02", "end": "2026-11-02"})
    (tmp_path / "patient-lumpectomy.json").write_text(json.dumps(data), encoding="utf-8")
    assert screened(listing, "lumpectomy", examples=tmp_path)["exclusion 1"] == "unknown"  # may be a major surgery


def _incomplete(tmp_path: Path, name: str) -> Path:
    """The example patient ``name`` (JSON and FHIR) without the statement that the treatment history is complete."""
    data = json.loads((EXAMPLES / f"patient-{name}.json").read_text(encoding="utf-8"))
    data.pop("treatments_complete")
    (tmp_path / f"patient-{name}.json").write_text(json.dumps(data), encoding="utf-8")
    bundle = json.loads((EXAMPLES / f"patient-{name}.fhir.json").read_text(encoding="utf-8"))
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "List"]
    (tmp_path / f"patient-{name}.fhir.json").write_text(json.dumps(bundle), encoding="utf-8")
    return tmp_path


def test_issue_11_10_a_treatment_list_is_the_whole_history_only_when_the_file_says_so(parser, tmp_path):
    listing = _listing(parser, "Exclusion Criteria:\n1. Radiotherapy within 4 weeks\n"
                               "2. Immunotherapy within the last 4 weeks\n"
                               "3. Major surgery within 4 weeks before enrollment\n")
    expected = {"exclusion 1": "not met", "exclusion 2": "met", "exclusion 3": "not met"}
    assert {k: screened(listing, NSCLC)[k] for k in expected} == expected  # his file says it is complete
    assert {k: screened(listing, NSCLC, fhir=True)[k] for k in expected} == expected  # two current history Lists
    incomplete = _incomplete(tmp_path, NSCLC)
    for fhir in (False, True):
        answers = screened(listing, NSCLC, fhir=fhir, examples=incomplete)
        assert answers["exclusion 2"] == "met"  # pembrolizumab listed, 21 days ago: a treatment listed counts
        assert (answers["exclusion 1"], answers["exclusion 3"]) == ("unknown", "unknown")  # one not listed: unknown


@pytest.mark.parametrize("text", [
    "Currently performs at least 3 fasting fingerstick glucose measurements/week",
    "In the opinion of the provider, HbA1c goals should be adjusted above 7% due to infirmity",
    "ALT < 2.5 x ULN for age (for the purpose of this study, the ULN for SGPT is 45 U/L)",
    "Age of specimen (time of collection to start of staining): ≤ 24 hours",
    "Karnofsky performance status (for patients >12 years of age) ≥ 50%",
])
def test_issue_11_11_a_limit_whose_subject_the_words_do_not_justify_is_not_checked(parser, text):
    listing = _listing(parser, f"Inclusion Criteria:\n1. {text}\n")
    for name in (CKD, NSCLC, PREGNANT, CHILD):
        assert screened(listing, name)["inclusion 1"] == "unknown", name


def test_issue_11_11_a_criterion_for_some_patients_only_screens_out_no_one_else(parser):
    listing = _listing(parser, "Inclusion Criteria:\n1. Signed parental permission and child assent forms for "
                               "prospective patients < 18 years of age\n2. Participants with a history of HCV "
                               "infection are eligible if HCV viral load is undetectable\n"
                               "3. Standard risk 1: Patients must be < 11 years of age at enrollment\n")
    for name in (CKD, NSCLC):
        answers = screened(listing, name)
        assert [answers[f"inclusion {n}"] for n in (1, 2, 3)] == ["unknown"] * 3, name
    assert screened(listing, CHILD)["inclusion 1"] == "met"


# The second tune sample of the audit (benchmarks/audit/audit.json, "tune2"): its misreadings, each in words of our own.

def test_issue_11_what_prevents_consent_is_not_consent(parser):
    listing = _listing(parser, "Exclusion Criteria:\n1. Psychiatric illness or substance use that would prevent the "
                               "participant from giving informed consent\n2. Physical or cognitive impairment that "
                               "precludes informed consent\n")
    assert every_patient(listing, "exclusion 1", "exclusion 2") == {("unknown", "unknown")}


def test_issue_11_and_or_with_spaces_joins_alternatives(parser):
    listing = _listing(parser, "Exclusion Criteria:\n1. Serum creatinine and / or blood urea nitrogen ≥ 1.5 times the "
                               "upper limit of normal\n")
    assert screened(listing, NSCLC)["exclusion 1"] == "unknown"  # creatinine normal, BUN not recorded


def test_issue_11_or_between_limits_is_read_where_the_words_stand(parser):
    # the stored text escapes "^" for Markdown, so offsets and the criterion's words drift apart
    listing = _listing(parser, "Exclusion Criteria:\n1. Absolute neutrophil count (ANC) <1000 cells/mm^3 or platelet "
                               "count <75,000/mm^3\n")
    assert screened(listing, PREGNANT)["exclusion 1"] == "unknown"  # platelets normal, no ANC
    assert screened(listing, NSCLC)["exclusion 1"] == "not met"


def test_issue_11_limits_that_cannot_both_hold_are_alternatives(parser):
    listing = _listing(parser, "Inclusion Criteria:\n1. Age >= 60 years. Patients aged < 60 years who are unsuitable "
                               "for standard induction therapy may be eligible after discussion with PI\n")
    for name in (CKD, NSCLC, CHILD):
        assert screened(listing, name)["inclusion 1"] == "unknown", name


def test_issue_11_a_window_at_least_before_is_a_washout(parser):
    listing = _listing(parser, "Inclusion Criteria:\n1. Major surgery at least 28 days before screening\n"
                               "2. Participants must have recovered from the effects of any major surgery at least "
                               "28 days before the first dose of study treatment\n")
    answers = screened(listing, PREGNANT)
    assert answers["inclusion 1"] == "met"  # no surgery at all: none inside the 28 days
    assert answers["inclusion 2"] == "unknown"  # recovery is in no record


def test_issue_11_another_window_between_a_subject_and_its_value_is_not_its_own(parser):
    listing = _listing(parser, "Exclusion Criteria:\n1. A serious infection requiring oral or IV antibiotics within 14 "
                               "days prior to screening or other clinically significant infection (e.g., COVID-19) "
                               "within 14 days prior to screening\n")
    for name in (CKD, NSCLC):
        assert screened(listing, name)["exclusion 1"] == "unknown", name  # no antibiotics; an infection not ruled out


def test_issue_11_8_the_trials_own_condition_is_not_a_prior_malignancy(parser):
    text = "Exclusion Criteria:\n1. Previous malignancy within the past 3 years\n2. Any active malignancy\n"
    lung = _record(parser, text, conditions=["Carcinoma, Non-Small-Cell Lung"])
    assert screened(lung, NSCLC)["exclusion 1"] == "unknown"  # his NSCLC is the index condition
    assert screened(lung, NSCLC)["exclusion 2"] == "unknown"
    assert screened(lung, CKD)["exclusion 1"] == "not met"  # her breast cancer of 2014 is outside 3 years
    sleep = _record(parser, text, conditions=["Obstructive Sleep Apnea"])
    assert screened(sleep, NSCLC)["exclusion 1"] == "met"


@pytest.mark.parametrize("concept", [c for c in MATCHING.concepts if c.kinds], ids=lambda c: c.name)
def test_a_kind_of_concept_names_the_trials_index_condition(concept):
    assert concept.kinds_example and concept.name in MATCHING.finder.index_concepts([concept.kinds_example])
    assert concept.name not in MATCHING.finder.index_concepts(["Obstructive Sleep Apnea"])


def test_issue_11_a_consent_on_earlier_projects_is_not_this_studys(parser):
    listing = _listing(parser, "Inclusion Criteria:\n1. Informed consent already given on earlier research projects\n"
                               "2. Signed written informed consent\n")
    assert every_patient(listing, "inclusion 1", "inclusion 2") == {("unknown", "met")}


def test_issue_11_pregnancy_lactation_and_hiv_are_read_from_the_record(parser):
    listing = _listing(parser, "Exclusion Criteria:\n1. Pregnant or breastfeeding women\n2. Known HIV infection\n"
                               "Inclusion Criteria:\n1. Women of childbearing potential must have a negative serum "
                               "pregnancy test\n")
    pregnant, nsclc = screened(listing, PREGNANT), screened(listing, NSCLC, fhir=True)
    assert (pregnant["exclusion 1"], pregnant["exclusion 2"]) == ("met", "not met")  # 25 weeks; HIV ruled out
    assert (nsclc["exclusion 1"], nsclc["exclusion 2"]) == ("not met", "not met")  # a man
    assert pregnant["inclusion 1"] == "unknown"  # a pregnancy test is no pregnancy (the concept's not_before)
    assert MATCHING.finder.concepts_in("negative pregnancy test") == []


def test_issue_11_a_rule_for_some_participants_fails_no_one_else(parser):
    listing = _listing(parser, "Inclusion Criteria:\n1. HIV-infected participants must have well controlled HIV on "
                               "antiretroviral therapy\n2. Male participants: must not have HIV infection\n"
                               "Exclusion Criteria:\n1. Pregnancy (applies only to SR1 patients)\n")
    nsclc = screened(listing, NSCLC)  # HIV ruled out
    assert [nsclc[k] for k in ("inclusion 1", "inclusion 2")] == ["unknown", "met"]
    assert screened(listing, PREGNANT)["exclusion 1"] == "unknown"  # she is pregnant, but may not be an SR1 patient


def test_issue_11_8_a_sex_or_a_menopause_that_rules_a_condition_out(parser):
    listing = _listing(parser, "Exclusion Criteria:\n1. Pregnancy\n2. Breastfeeding\n")
    for name in (NSCLC, CHILD):  # men: neither
        for fhir in (False, True):
            answers = screened(listing, name, fhir=fhir)
            assert (answers["exclusion 1"], answers["exclusion 2"]) == ("not met", "not met"), name
    ckd, pregnant = screened(listing, CKD), screened(listing, PREGNANT, fhir=True)
    assert (ckd["exclusion 1"], ckd["exclusion 2"]) == ("not met", "unknown")  # postmenopausal (Z78.0)
    assert (pregnant["exclusion 1"], pregnant["exclusion 2"]) == ("met", "unknown")


def test_issue_11_what_an_exclusion_says_is_excluded_is_not_negated(parser):
    listing = _listing(parser, "Inclusion Criteria:\n1. Patients with HIV infection are excluded\n"
                               "Exclusion Criteria:\n1. Pregnant women are excluded from this study\n"
                               "2. HIV infection is not allowed\n")
    nsclc, pregnant = screened(listing, NSCLC), screened(listing, PREGNANT)
    assert (nsclc["inclusion 1"], nsclc["exclusion 1"], nsclc["exclusion 2"]) == ("met", "not met", "not met")
    assert pregnant["exclusion 1"] == "met"  # was 'negated by are excluded': she was let in


def test_issue_11_9_a_window_before_enrollment_on_a_measure_is_the_sites_timing(parser):
    listing = _listing(parser, "Inclusion Criteria:\n1. Platelet count >= 100,000/mm^3 (within 7 days prior to "
                               "enrollment)\n2. Total bilirubin <= 1.5 x ULN within 7 days before the first dose\n"
                               "3. Platelet count >= 100,000/mm^3 within 3 months prior to screening\n"
                               "Exclusion Criteria:\n1. Radiotherapy within 7 days before the first dose\n")
    nsclc = screened(listing, NSCLC)  # platelets 168 x 10^9/L and bilirubin 0.58 x ULN, two days before screening
    assert [nsclc[f"inclusion {n}"] for n in (1, 2)] == ["met", "met"]
    assert nsclc["inclusion 3"] == "unknown"  # a time before the screening asks about the record: not the site's
    assert nsclc["exclusion 1"] == "not met"  # a treatment window is the patient's, whatever its anchor


def test_issue_11_8_a_resolved_malignancy_was_there_until_it_resolved(parser):
    listing = _listing(parser, "Exclusion Criteria:\n1. History of malignancy within the last 12 years\n"
                               "2. History of malignancy within the last 10 years\n")
    ckd = screened(listing, CKD)  # breast cancer from 2014-02-10, resolved 2015-01-30: 11.8 years before screening
    assert (ckd["exclusion 1"], ckd["exclusion 2"]) == ("met", "not met")


def test_issue_11_7_a_list_is_answered_only_when_every_item_is_read(parser):
    listing = _listing(parser, "Exclusion Criteria:\n1. Known history of HIV, hepatitis B or tuberculosis\n"
                               "2. Known HIV or hepatitis B infection\n"
                               "Inclusion Criteria:\n1. Non-pregnant, non-lactating, and agree to abstinence\n"
                               "2. Not pregnant and willing to comply\n")
    ckd, child, pregnant = screened(listing, CKD), screened(listing, CHILD), screened(listing, PREGNANT)
    assert ckd["exclusion 1"] == "unknown"  # HIV and hepatitis B ruled out, tuberculosis (no entity) not read
    assert ckd["exclusion 2"] == "not met"  # both items read, both ruled out
    assert child["inclusion 1"] == "unknown"  # a boy is neither, but the abstinence is not read
    assert (child["inclusion 2"], pregnant["inclusion 2"]) == ("unknown", "not met")  # "and": one part failing fails it


def test_issue_11_a_window_is_about_its_own_subject_not_a_condition_named_before_it(parser):
    listing = _listing(parser, "Exclusion Criteria:\n1. HIV, or tuberculosis within 6 months\n"
                               "2. Active infection requiring systemic therapy within 14 days, HIV or tuberculosis\n"
                               "3. Myocardial infarction within 6 months\n")
    ckd = screened(listing, CKD)  # HIV ruled out: before, both read as "no HIV within the window": not met
    assert (ckd["exclusion 1"], ckd["exclusion 2"]) == ("unknown", "unknown")
    assert ckd["exclusion 3"] == "unknown"  # no infarction recorded: the window on a named condition stays


def test_issue_11_1_an_age_limit_is_on_the_age_in_completed_years(parser):
    listing = _record(parser, "Inclusion Criteria:\n1. Age 3 to 12 years\n2. Older than 12 years\n"
                              "3. Aged 6 to 148 months\n4. Age < 12 years\n", minimum_age="3 Years",
                      maximum_age="12 Years")
    for fhir in (False, True):  # 12 years and 4 months old: 12 in completed years, 148 in completed months
        child = screened(listing, CHILD, fhir=fhir)
        assert [child[k] for k in ("inclusion registry", "inclusion 1", "inclusion 3")] == ["met"] * 3
        assert (child["inclusion 2"], child["inclusion 4"]) == ("not met", "not met")  # "> 12" is ">= 13"
    assert screened(listing, NSCLC)["inclusion registry"] == "not met"


def test_issue_11_a_clause_is_blanked_where_its_words_stand(parser):
    # the escapes of the stored text ("\\>", "\\<") move the offsets: the condition clause was blanked two
    # characters early, leaving "pregnancy te", which named a pregnancy: met for a pregnant woman
    text = ("Inclusion Criteria:\n\nInclusion criteria for trial entry\n\n* Diagnosis of AML (\\>10% blasts).\n"
            "* Age \\<18 years at trial entry.\n"
            "* Documented negative pregnancy test for female patients of childbearing potential.")
    assert screened(_record(parser, text, escaped=True), PREGNANT)["inclusion 3"] == "unknown"


def test_issue_11_2_a_sex_the_criterion_names_is_checked(parser):
    listing = _listing(parser, "Inclusion Criteria:\n1. Adult females 18 years old or older.\n"
                               "Exclusion Criteria:\n1. Women with hemoglobin < 12 g/dL\n"
                               "2. Severe renal dysfunction: creatinine clearance < 30 mL/min [multiply by 0.85 if "
                               "female]\n")
    nsclc, ckd = screened(listing, NSCLC, fhir=True), screened(listing, CKD)
    assert (nsclc["inclusion 1"], ckd["inclusion 1"]) == ("unknown", "met")  # was met from the age for a man
    assert (nsclc["exclusion 1"], ckd["exclusion 1"]) == ("not met", "met")  # hemoglobin 11.9 g/dL: a man
    assert screened(listing, CHILD)["exclusion 2"] == "unknown"  # "if female" in a formula says whom it is not


def test_issue_11_9_a_window_that_says_neither_within_nor_at_least_is_unknown(parser):
    listing = _listing(parser, "Inclusion Criteria:\n1. Previous chemotherapy or radiotherapy should be completed 4 "
                               "weeks prior to start of IMP administration.\n")
    assert every_patient(listing, "inclusion 1") == {("unknown",)}  # was not met for those who had none


def test_issue_11_8_a_resolved_condition_answers_only_what_asks_about_the_past(parser):
    listing = _listing(parser, "Exclusion Criteria:\n1. Malignancy\n2. History of malignancy\n"
                               "3. Active malignancy\n")
    ckd = screened(listing, CKD, fhir=True)  # breast cancer resolved in 2015
    assert [ckd[f"exclusion {n}"] for n in (1, 2, 3)] == ["unknown", "met", "not met"]


# The fourth tune sample of the audit ("tune4"): its misreadings, and the left-overs of the third, in words of our own.

def test_issue_11_a_misspelt_inability_still_negates(parser):
    listing = _listing(parser, "Exclusion Criteria:\n1. Unability to give written informed consent\n")
    assert every_patient(listing, "exclusion 1") == {("not met",)}  # consent confirmed: was met, read as consent


def test_issue_11_1_an_age_at_the_original_diagnosis_is_not_todays(parser):
    listing = _listing(parser, "Inclusion Criteria:\n1. Aged 21 years or younger at the time of original diagnosis "
                               "of leukemia\n2. Aged 21 years or younger\n")
    for name in (CKD, NSCLC, PREGNANT):
        answers = screened(listing, name)
        assert (answers["inclusion 1"], answers["inclusion 2"]) == ("unknown", "not met"), name


def test_issue_11_two_bounds_from_one_side_are_a_misread_range(parser):
    listing = _listing(parser, "Inclusion Criteria:\n1. Body mass index >27 kg/m² to >38 kg/m²\n"
                               "2. BMI ≥ 18 kg/m2 and BMI ≤ 35 kg/m2\n")
    assert screened(listing, CKD)["inclusion 1"] == "unknown"  # 28.9: over 27 but not over 38; "all" was not met
    assert screened(listing, CHILD)["inclusion 1"] == "not met"  # 17.3: under both, "all" and "any" agree
    assert screened(listing, CKD)["inclusion 2"] == "met"  # a lower and an upper bound: a range, all of it


def test_issue_11_10_a_class_named_in_the_lexicon_has_members(parser):
    listing = _listing(parser, "Exclusion Criteria:\n1. Current statin therapy within 2 weeks\n"
                               "2. Beta blockers within 2 weeks\n3. Use of NSAIDs within 7 days\n")
    ckd, nsclc = screened(listing, CKD), screened(listing, NSCLC, fhir=True)
    assert ckd["exclusion 1"] == "met"  # atorvastatin, ongoing: was 'no statins in the treatment history'
    assert (nsclc["exclusion 1"], ckd["exclusion 2"], ckd["exclusion 3"]) == ("not met", "not met", "not met")
    assert all(c.members for c in MATCHING.treatment_classes)


def test_issue_11_10_a_steroid_may_be_counted_as_an_immunosuppressant(parser, tmp_path):
    listing = _listing(parser, "Exclusion Criteria:\n1. Received any immunosuppressive therapy within 4 weeks prior to "
                               "screening\n")
    assert screened(listing, CKD)["exclusion 1"] == "unknown"  # prednisone 7.5 mg/d: ATC H02, counted by some
    assert screened(listing, CKD, fhir=True)["exclusion 1"] == "unknown"
    assert screened(listing, PREGNANT)["exclusion 1"] == "not met"
    data = json.loads((EXAMPLES / "patient-ckd-prednisone.json").read_text(encoding="utf-8"))
    data["treatments"].append({"name": "tacrolimus", "route": "oral", "start": "2026-10-01", "dose": {"value": 2,
                                                                                                   "unit": "mg/d"}})
    (tmp_path / "patient-tacrolimus.json").write_text(json.dumps(data), encoding="utf-8")
    assert screened(listing, "tacrolimus", examples=tmp_path)["exclusion 1"] == "met"  # ATC L04AD02


def test_issue_11_2_a_sex_beside_someone_else_is_not_whom_the_criterion_is_about(parser):
    listing = _listing(parser, "Exclusion Criteria:\n1. Women who are pregnant or anyone with HIV infection\n"
                               "2. Women who are pregnant or breastfeeding\n")
    child, nsclc = screened(listing, CHILD), screened(listing, NSCLC)
    assert child["exclusion 1"] == "unknown"  # a boy whose HIV status is not recorded: was not met by his sex alone
    assert nsclc["exclusion 1"] == "not met"  # a man, HIV ruled out
    assert child["exclusion 2"] == "not met"  # only women are named


def test_issue_11_an_exclusions_line_and_its_sub_items_are_not_joined_all(parser):
    listing = _listing(parser, "Exclusion Criteria:\n1. Hemoglobin < 9 g/dL, or any of the following:\n"
                               "  - HIV infection\n  - pregnancy\n")
    pregnant = screened(listing, PREGNANT)  # hemoglobin 10.9 g/dL, 25 weeks pregnant
    assert (pregnant["exclusion 1.2"], pregnant["exclusion 1"]) == ("met", "unknown")  # "all" was not met
    assert screened(listing, NSCLC)["exclusion 1"] == "not met"  # none of them


def test_issue_11_diabetes_is_read_from_the_record_by_its_type(parser):
    listing = _listing(parser, "Inclusion Criteria:\n1. Adults with type 2 diabetes\nExclusion Criteria:\n"
                               "1. Type 1 diabetes\n2. Known diabetes mellitus\n3. Poorly controlled diabetes\n"
                               "4. Diabetes insipidus\n5. Pancreatic surgery, or diabetes secondary to pancreatitis\n")
    ckd = screened(listing, CKD, fhir=True)  # type 2 diabetes (E11) recorded as active
    assert (ckd["inclusion 1"], ckd["exclusion 1"], ckd["exclusion 2"]) == ("met", "unknown", "met")
    assert [ckd[f"exclusion {n}"] for n in (3, 4, 5)] == ["unknown"] * 3  # narrower, or something else
    assert screened(listing, NSCLC)["inclusion 1"] == "unknown"  # diagnoses are never complete


def test_issue_11_9_a_treatment_ended_before_the_screening_is_as_long_before_a_later_anchor(parser):
    listing = _listing(parser, "Exclusion Criteria:\n1. Radiotherapy within 4 weeks prior to the first dose\n"
                               "2. Chemotherapy within 14 days before randomization\n"
                               "3. Systemic corticosteroids within 14 days before enrollment\n")
    for fhir in (False, True):
        ckd, nsclc = screened(listing, CKD, fhir=fhir), screened(listing, NSCLC, fhir=fhir)
        assert (ckd["exclusion 1"], nsclc["exclusion 2"]) == ("not met", "not met")  # ended 2014; 21 days ago
        assert ckd["exclusion 3"] == "unknown"  # prednisone ongoing: may still be given at enrollment
        assert nsclc["exclusion 3"] == "not met"  # dexamethasone ended 20 days before the screening
    child = screened(_listing(parser, "Exclusion Criteria:\n1. Oral corticosteroids within 120 days before "
                                      "enrollment\n"), CHILD)
    assert child["exclusion 1"] == "unknown"  # prednisolone 106 days before the screening: inside 120 days or not


def test_issue_11_an_age_that_picks_a_row_of_a_table_answers_nothing_alone(parser):
    """A row of a table by age ("2 to < 12 years: boys 0.7, girls 0.6"; the subjects issue reads its age) says
    whom the other numbers are for: failing or passing the age alone is unknown; an age limit with nothing else
    still answers."""
    listing = _listing(parser, "Inclusion Criteria:\n1. Serum creatinine by age as follows:\n"
                               "   1. 2 to < 12 years boys: 0.7 girls: 0.6\n   2. >= 12 years boys: 1.2 girls: 1.1\n"
                               "2. Aged 18 years or older\n")
    assert every_patient(listing, "inclusion 1.1", "inclusion 1.2") == {("unknown", "unknown")}
    assert screened(listing, CHILD)["inclusion 2"] == "not met"
    assert screened(listing, CKD)["inclusion 2"] == "met"


# The fifth tune sample of the audit ("tune5"): its misreadings, in words of our own.

def test_issue_11_a_consent_given_does_not_answer_an_exclusion_that_names_it(parser):
    listing = _listing(parser, "Exclusion Criteria:\n1. Severe mental illness making informed consent unlikely\n"
                               "2. Inability to give informed consent\n")
    assert [c for c in MATCHING.concepts if c.required] and all(c.kind == "confirmation" for c in MATCHING.concepts
                                                                  if c.required)
    # no exclusion excludes a consent given: unread words turn it ("making ... unlikely"), so it is unknown
    assert every_patient(listing, "exclusion 1", "exclusion 2") == {("unknown", "not met")}


def test_issue_11_1_an_age_without_a_comparator_is_no_limit(parser):
    listing = _listing(parser, f"Inclusion Criteria:\n1. {MATCHING.age.unstated_comparator_example}\n"
                               "2. Age of 21 years and beyond\n")
    assert screened(listing, CKD) == {"inclusion 1": "unknown", "inclusion 2": "met"}  # 67, not "18 to 19"
    assert screened(listing, CHILD) == {"inclusion 1": "unknown", "inclusion 2": "not met"}


def test_issue_11_1_a_limit_on_someone_else_is_not_the_patients(parser):
    listing = _listing(parser, "Inclusion Criteria:\n1. Caregiver who is at least 21 years old of a child with "
                               "asthma\n2. Children aged 6 to 17 years\nExclusion Criteria:\n1. Donor aged 18 to 60 "
                               "years\n")
    assert set(MATCHING.relation_cues) >= {"caregiver", "donor", "parent"}
    assert screened(listing, CHILD) == {"inclusion 1": "unknown", "inclusion 2": "met", "exclusion 1": "unknown"}
    assert screened(listing, NSCLC)["exclusion 1"] == "unknown"  # 45: the donor's age, not his


def test_issue_11_a_pregnancy_to_come_is_not_the_pregnancy_of_today(parser):
    pregnancy, = [c for c in MATCHING.concepts if c.future_after]
    listing = _listing(parser, f"Exclusion Criteria:\n1. Wish to become pregnant within the next year\n"
                               f"2. {pregnancy.future_example}\n3. Pregnant women or women planning pregnancy\n")
    for fhir in (False, True):  # pregnant now: whether she wishes it is unread; the pregnancy of today still counts
        assert screened(listing, PREGNANT, fhir) == {"exclusion 1": "unknown", "exclusion 2": "unknown",
                                                     "exclusion 3": "met"}
    # a man and a postmenopausal woman (Z78.0) cannot become pregnant
    assert every_patient(listing, "exclusion 1", "exclusion 2") - {("unknown", "unknown")} == {("not met", "not met")}


def test_issue_11_2_a_sex_named_after_or_is_one_alternative(parser):
    listing = _listing(parser, "Exclusion Criteria:\n1. Pregnancy, or males with a QTc > 450 ms\n"
                               "2. Pregnant or lactating women\n")
    assert screened(listing, PREGNANT)["exclusion 1"] == "unknown"  # was "not met": female, not the males named
    assert screened(listing, PREGNANT)["exclusion 2"] == "met"
    assert screened(listing, NSCLC)["exclusion 2"] == "not met"  # "lactating women" still names whom


def test_issue_11_11_an_item_number_or_a_type_number_is_no_age(parser):
    listing = _listing(parser, "Inclusion Criteria:\n1 Participant must be >18 years\n2 Type-1 Diabetes\n")
    assert screened(listing, CKD) == {"inclusion 1": "met", "inclusion 2": "unknown"}  # not age = 1
    assert screened(listing, CHILD) == {"inclusion 1": "not met", "inclusion 2": "unknown"}
