"""Issue 15, patient input read strictly: a bounded, impossible, unconfirmed or conflicting value makes the
criterion unknown with the reason, never a definite answer; malformed patient files are one-line errors.

The reproducers are copies of ``../shared/repro`` in ``tests/fixtures/repro`` (``seed-listing.json`` is the
seed listing as ``parse`` writes it).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from criteria_parser.cli import app
from criteria_parser.match.plan import MET, NOT_MET
from criteria_parser.grammar.matching import load_matching_grammar
from criteria_parser.match.screen import decided

ROOT = Path(__file__).resolve().parents[1]
REPRO = ROOT / "tests" / "fixtures" / "repro"
LISTING = REPRO / "seed-listing.json"
ELIGIBLE = json.loads((ROOT / "examples" / "patient-eligible.json").read_text())
FHIR = json.loads((REPRO / "fhir-creatinine-greater-than-150.json").read_text())


def _match(path: Path) -> dict:
    run = CliRunner().invoke(app, ["match", str(LISTING), str(path), "--format", "json"])
    assert run.exit_code == 0, run.output
    return json.loads(run.output)


def _reasons(document: dict, label: str) -> list[str]:
    """The reasons of the criteria labelled ``label`` (in either section)."""
    return [r for c in document["criteria"] if c["label"] == label for r in c["reasons"]]


def _patient(tmp_path: Path, change, base: dict = ELIGIBLE) -> Path:
    data = copy.deepcopy(base)
    change(data)
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(data))
    return path


def _result(data: dict, name: str) -> dict:
    return next(r for r in data["results"] if r["name"] == name)


def test_the_example_patient_is_eligible_but_for_what_no_check_reads():
    """Inclusion 10 also asks about pregnancy and lactation, which nothing checks (issue 11): the one open item."""
    document = _match(ROOT / "examples" / "patient-eligible.json")
    assert document["status"] == "needs review"
    assert [c["label"] for c in document["criteria"] if c["top_level"] and c["result"] != ("not met" if c["section"]
            == "exclusion" else "met")] == ["10"]


def test_issue_15_a_creatinine_bound_is_not_a_value():
    """FHIR valueQuantity.comparator ">" 150 µmol/L: before issue 15 read as 150, and eligible."""
    document = _match(REPRO / "fhir-creatinine-greater-than-150.json")
    assert document["status"] == "needs review"
    assert "creatinine >150 µmol/L (2026-02-27): only a bound, not a value, which does not decide ≤ 176.8: unknown" \
        in _reasons(document, "5")


def test_a_bound_that_decides_the_criterion_gives_its_answer(tmp_path):
    def over_200(bundle):
        for entry in bundle["entry"]:
            quantity = entry["resource"].get("valueQuantity", {})
            if quantity.get("comparator") == ">":
                quantity["value"] = 200
    document = _match(_patient(tmp_path, over_200, FHIR))
    assert document["status"] == "ineligible"
    assert any("creatinine >200 µmol/L" in r and "the bound decides: not met" in r for r in _reasons(document, "5"))


@pytest.mark.parametrize("bound, value, comparator, limit, high, truth", [
    (">", 150, "<=", 176.8, None, None), (">", 200, "<=", 176.8, None, NOT_MET), ("<", 100, "<=", 176.8, None, MET),
    ("<=", 176.8, "<=", 176.8, None, MET), (">=", 176.8, "<", 176.8, None, NOT_MET), (">=", 176.8, "<=", 176.8, None, None),
    ("<", 55, ">=", 55, None, NOT_MET), ("<", 5, "between", 1, 10, None), (">", 10, "between", 1, 10, NOT_MET),
])
def test_a_bound_decides_only_when_every_value_it_allows_falls_on_one_side(bound, value, comparator, limit, high, truth):
    assert decided(load_matching_grammar(), bound, value, comparator, limit, high) == truth


@pytest.mark.parametrize("first", ["patient-sameday-a.json", "patient-sameday-b.json"])
def test_issue_15_two_different_results_on_one_day_are_unknown_in_either_order(first):
    document = _match(REPRO / first)
    assert document["status"] == "needs review"
    assert "2 different creatinine results on 2026-02-27 (0.9 mg/dL, 5 mg/dL): they disagree: unknown" \
        in _reasons(document, "5")


def test_issue_15_a_provisional_diagnosis_is_not_a_fact():
    document = _match(REPRO / "fhir-hepb-provisional.json")
    assert document["status"] == "needs review"
    assert "hepatitis B neither recorded nor ruled out: unknown" in _reasons(document, "3")


@pytest.mark.parametrize("status, field", [("registered", None), ("final", "dataAbsentReason")])
def test_registered_observations_and_absent_data_are_not_results(tmp_path, status, field):
    def unusable(bundle):
        for entry in bundle["entry"]:
            resource = entry["resource"]
            if resource.get("valueQuantity", {}).get("comparator") == ">":
                resource["valueQuantity"].pop("comparator")
                resource["status"] = status
                if field:
                    resource[field] = {"text": "specimen hemolysed"}
    document = _match(_patient(tmp_path, unusable, FHIR))
    assert document["status"] == "needs review" and "no creatinine result: unknown" in _reasons(document, "5")


@pytest.mark.parametrize("name, value, label, reason", [
    ("ALT", -35, "5", "ALT -35 U/L (2026-02-27): implausible: outside 0-20000 U/L"),
    ("LVEF", 620, "6", "LVEF 620 % (2026-02-20): implausible: outside 1-95 %"),
    ("ECOG", 1.5, "2", "ECOG 1.5 (2026-03-01): not on the ECOG scale"),
])
def test_issue_15_impossible_values_are_unknown_with_the_reason(tmp_path, name, value, label, reason):
    document = _match(_patient(tmp_path, lambda d: _result(d, name).update(value=value)))
    assert document["status"] == "needs review"
    assert any(r.startswith(reason) and r.endswith(": unknown") for c in document["criteria"] for r in c["reasons"]), \
        [c["reasons"] for c in document["criteria"] if c["status"] != "met"]


def test_a_reference_range_whose_low_is_above_its_high_is_not_used(tmp_path):
    document = _match(_patient(tmp_path, lambda d: _result(d, "ALT").update(reference_range={"low": 40, "high": 7})))
    assert document["status"] == "needs review"
    assert any("its low is above its high, not used" in r and r.endswith("unknown") for r in _reasons(document, "5"))


@pytest.mark.parametrize("name, message", [
    ("patient-deep.json", "not JSON that can be read: nested too deeply"),
    ("patient-surrogate.json", "holds \\ud800, half of a UTF-16 pair: not text"),
])
def test_issue_15_malformed_patient_files_are_one_line(name, message):
    run = CliRunner().invoke(app, ["match", str(LISTING), str(REPRO / name)])
    assert run.exit_code == 2 and run.output.strip() == f"criteria-parser: {REPRO / name}: {message}"


def test_issue_15_a_unit_dividing_by_zero_is_not_understood():
    document = _match(REPRO / "patient-unit-div-zero.json")
    assert "total bilirubin 12 1/0 (2026-02-27): unit '1/0' is not understood: unknown" in _reasons(document, "5")


def test_issue_15_a_dose_overflowing_to_infinity_is_no_dose():
    document = _match(REPRO / "fhir-dose-overflow.json")
    assert any("dexamethasone, 2025-12-01 to 2026-01-10" in r for c in document["criteria"] for r in c["reasons"])
