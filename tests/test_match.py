"""The built-in evaluator on the hand-written example patients, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from criteria_parser.match.compiler import compile_listing
from criteria_parser.errors import InputError
from criteria_parser.match.facts import build_facts
from criteria_parser.grammar.loader import load_grammars
from criteria_parser.match.run import screen_files
from criteria_parser.match.screen import assess
from criteria_parser.grammar.matching import load_matching_grammar
from criteria_parser.match.patient_files import load_patient
from criteria_parser.match.patients import Patient

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SEED = ROOT / "corpora" / "NCT06633354-listing.txt"

# inclusion 10 also asks whether a woman is pregnant or lactating, which no check reads (issue 11): the patients who
# pass everything else need review, not "eligible"
EXPECTED = {
    "patient-eligible.json": "needs review",
    "patient-creatinine-mgdl.json": "ineligible",
    "patient-missing-lvef.json": "needs review",
    "patient-steroids-before-infusion.json": "ineligible",
    "patient-prednisone-5mg.json": "needs review",
    "patient-alt-4x-uln.json": "ineligible",
    "patient-eligible.fhir.json": "needs review",
    "patient-creatinine-mgdl.fhir.json": "ineligible",
}


@pytest.fixture(scope="module")
def listing():
    from criteria_parser.parser import Parser

    return Parser().parse_file(SEED)


def _criterion(result, section, label):
    return next(c for c in result.criteria if c.section == section and c.label == label)


def _match_patient(listing, patient: Patient):
    grammars, matching = load_grammars(), load_matching_grammar()
    plan = compile_listing(listing, grammars, matching)
    facts = build_facts(patient, plan, grammars, matching)
    return assess(plan, facts, matching, patient.id, "test")


def _example(name: str, **changes) -> Patient:
    data = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    data.update(changes)
    return Patient.model_validate(data)


@pytest.mark.parametrize("name,status", sorted(EXPECTED.items()))
def test_example_patients_get_the_expected_status(listing, name, status):
    assert screen_files(listing, [EXAMPLES / name])[0].status == status


def test_creatinine_in_mg_per_dl_is_converted_with_the_molar_mass(listing):
    result = screen_files(listing, [EXAMPLES / "patient-creatinine-mgdl.json"])[0]
    criterion = _criterion(result, "inclusion", "5")
    assert criterion.result == "not met"
    assert "creatinine 2.3 mg/dL (2026-02-27) = 203.3 µmol/L ≤ 176.8 µmol/L: not met" in criterion.reasons


def test_missing_lvef_is_unknown_never_met(listing):
    result = screen_files(listing, [EXAMPLES / "patient-missing-lvef.json"])[0]
    assert _criterion(result, "inclusion", "6").result == "unknown"
    assert _criterion(result, "inclusion", "6").reasons == ["no LVEF result: unknown"]


def test_corticosteroids_two_days_before_infusion_exclude(listing):
    result = screen_files(listing, [EXAMPLES / "patient-steroids-before-infusion.json"])[0]
    assert _criterion(result, "exclusion", "6.1").result == "met"
    assert _criterion(result, "exclusion", "6").result == "met"
    assert any("2 days before the infusion" in r and "outside the exception" in r
               for r in _criterion(result, "exclusion", "6.1").reasons)


def test_physiological_prednisone_is_excepted(listing):
    result = screen_files(listing, [EXAMPLES / "patient-prednisone-5mg.json"])[0]
    criterion = _criterion(result, "exclusion", "6.1")
    assert criterion.result == "not met"
    assert any("its dose 5 mg/d is within the exception prednisone < 10 mg/d" in r for r in criterion.reasons)


@pytest.mark.parametrize("drug,classes,dose,expected", [
    ("dexamethasone", [], 0.5, "not met"),  # = prednisone 3.3 mg/d: physiological replacement
    ("dexamethasone", [], 4, "met"),  # = prednisone 26.7 mg/d
    ("deflazacort", ["systemic corticosteroids"], 6, "unknown"),  # no equivalence known
    ("dexamethasone", [], None, "unknown"),  # dose not recorded
])
def test_other_steroids_count_by_their_prednisone_equivalent_dose(listing, drug, classes, dose, expected):
    treatment = {"name": drug, "classes": classes, "start": "2026-03-01", "end": "2026-03-02"}
    if dose is not None:
        treatment["dose"] = {"value": dose, "unit": "mg/d"}
    data = json.loads((EXAMPLES / "patient-eligible.json").read_text(encoding="utf-8"))
    data["treatments"].append(treatment)
    assert _criterion(_match_patient(listing, Patient.model_validate(data)), "exclusion", "6.1").result == expected


def test_alt_four_times_uln_fails_the_relative_limit(listing):
    result = screen_files(listing, [EXAMPLES / "patient-alt-4x-uln.json"])[0]
    assert "ALT 160 U/L (2026-02-27) = 4.00 × ULN (ULN 40 U/L) ≤ 3 × ULN: not met" in \
        _criterion(result, "inclusion", "5").reasons


def test_relative_limit_without_reference_range_is_unknown(listing):
    patient = _example("patient-eligible.json")
    next(r for r in patient.results if r.name == "ALT").reference_range = None
    result = _match_patient(listing, patient)
    assert _criterion(result, "inclusion", "5").result == "unknown"
    assert result.status == "needs review"


def test_future_commitment_needs_confirmation(listing):
    patient = _example("patient-eligible.json")
    patient.confirmations = [c for c in patient.confirmations if c.about != "contraception"]
    criterion = _criterion(_match_patient(listing, patient), "inclusion", "10")
    assert criterion.result == "unknown"
    assert "future commitment" in criterion.reasons[0] and "needs confirmation" in criterion.reasons[0]


def test_lab_without_unit_is_unknown_with_the_reason(listing):
    patient = _example("patient-eligible.json")
    next(r for r in patient.results if r.name == "creatinine").unit = None
    result = _match_patient(listing, patient)
    reasons = _criterion(result, "inclusion", "5").reasons
    assert _criterion(result, "inclusion", "5").result == "unknown"
    assert any("no unit given, cannot compare in µmol/L" in r for r in reasons)


def test_incompatible_unit_is_unknown_not_wrong(listing):
    patient = _example("patient-eligible.json")
    next(r for r in patient.results if r.name == "creatinine").unit = "U/L"
    reasons = _criterion(_match_patient(listing, patient), "inclusion", "5").reasons
    assert any("U/L cannot be converted to µmol/L" in r and r.endswith("unknown") for r in reasons)


def test_result_dated_after_the_screening_date_is_not_used(listing):
    data = json.loads((EXAMPLES / "patient-eligible.json").read_text(encoding="utf-8"))
    next(r for r in data["results"] if r["name"] == "LVEF")["date"] = "2027-01-01"
    patient = Patient.model_validate(data)
    result = _match_patient(listing, patient)
    assert _criterion(result, "inclusion", "6").result == "unknown"
    assert any("LVEF result dated 2027-01-01, after the screening date" in w for w in result.warnings)


def test_without_treatment_history_treatment_criteria_are_unknown(listing):
    patient = _example("patient-eligible.json", treatments=None)
    result = _match_patient(listing, patient)
    assert {_criterion(result, "exclusion", label).result for label in ("5", "6.1", "6.2", "6.3", "6.4")} == {"unknown"}


def test_resolved_hepatitis_does_not_meet_an_active_infection_criterion(listing):
    patient = _example("patient-eligible.json")
    for diagnosis in patient.diagnoses:
        if diagnosis.name == "hepatitis B":
            diagnosis.status = "resolved"
    assert _criterion(_match_patient(listing, patient), "exclusion", "3").result == "not met"


def test_a_present_excluding_condition_excludes(listing):
    patient = _example("patient-eligible.json")
    patient.diagnoses[2].status = "active"  # epilepsy
    result = _match_patient(listing, patient)
    assert _criterion(result, "exclusion", "1").result == "met"
    assert result.status == "ineligible"


@pytest.mark.parametrize("content,problem", [
    ("{not json", "line 1: not valid JSON"),
    ('{"id": "x", "results": [{"value": 1}]}', "results.0.name: Field required"),
    ('{"resourceType": "Patient"}', "a FHIR Patient is not a patient file: give a Bundle"),
    ('{"id": "x", "results": [{"name": "ALT", "value": NaN}]}', "results.0.value: Input should be a finite number"),
])
def test_bad_patient_files_give_one_line_errors(tmp_path, content, problem):
    path = tmp_path / "p.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=problem):
        load_patient(path)


def test_a_patient_with_no_facts_is_never_met(listing):
    result = _match_patient(listing, Patient(id="empty"))
    assert result.status == "needs review"
    assert {c.result for c in result.criteria} == {"unknown"}


def test_treatment_ending_before_it_starts_is_reported_and_unknown(listing):
    data = json.loads((EXAMPLES / "patient-eligible.json").read_text(encoding="utf-8"))
    data["treatments"].append({"name": "prednisone", "start": "2026-03-02", "end": "2026-02-01",
                               "dose": {"value": 20, "unit": "mg/d"}})
    result = _match_patient(listing, Patient.model_validate(data))
    assert _criterion(result, "exclusion", "6.1").result == "unknown"
    assert any("prednisone ends 2026-02-01, before it starts 2026-03-02" in w for w in result.warnings)


def test_a_listing_is_compiled_once_for_all_its_patients_and_its_grammars_read_once(listing, tmp_path, monkeypatch):
    """Issue 12: match reloaded the grammars and recompiled the plan for every patient (also with --grammars)."""
    import shutil
    from importlib import resources

    import criteria_parser.grammar.matching as matching_module
    import criteria_parser.match.compiler as compiler_module

    grammars = tmp_path / "grammars"
    with resources.as_file(resources.files("criteria_parser.grammars")) as packaged:
        shutil.copytree(packaged, grammars)
    calls = {"compile": 0, "read": 0}

    def counted(name, real):
        def call(*args):
            calls[name] += 1
            return real(*args)
        return call

    monkeypatch.setattr(compiler_module, "compile_listing", counted("compile", compiler_module.compile_listing))
    monkeypatch.setattr(matching_module, "_read", counted("read", matching_module._read))
    names = ["patient-eligible.json", "patient-creatinine-mgdl.json", "patient-eligible.fhir.json"]
    for _ in range(2):
        results = screen_files(listing, [EXAMPLES / name for name in names], grammars)
        assert [r.status for r in results] == [EXPECTED[name] for name in names]
    assert calls == {"compile": 2, "read": 1}  # one plan per listing screened; matching.json read once
