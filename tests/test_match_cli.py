"""The match command, and export --format jsonlogic|fhir, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from criteria_parser.cli import app

ROOT = Path(__file__).resolve().parents[1]
LISTING = ROOT / "corpora" / "NCT06633354-listing.txt"


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    """The seed listing as 'parse' writes it, so each command need not load the parser again."""
    path = tmp_path_factory.mktemp("listing") / "seed.json"
    result = CliRunner().invoke(app, ["parse", str(LISTING), "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_match_prints_a_screening_note(parsed):
    result = CliRunner().invoke(app, ["match", str(parsed), str(ROOT / "examples" / "patient-creatinine-mgdl.json")])
    assert result.exit_code == 0, result.output
    assert "Result: INELIGIBLE" in result.output
    assert "Because: inclusion 5 not met" in result.output
    assert "creatinine 2.3 mg/dL (2026-02-27) = 203.3 µmol/L ≤ 176.8 µmol/L: not met" in result.output


def test_match_json_is_machine_readable(parsed):
    result = CliRunner().invoke(
        app, ["match", str(parsed), str(ROOT / "examples" / "patient-eligible.json"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["status"] == "needs review" and document["nct_id"] == "NCT06633354"
    assert {c["result"] for c in document["criteria"]} <= {"met", "not met", "unknown"}
    inclusion_5 = next(c for c in document["criteria"] if c["section"] == "inclusion" and c["label"] == "5")
    creatinine = next(f["values"] for f in inclusion_5["findings"] if f["values"]["variable"] == "obs.creatinine.value")
    assert creatinine["unit"] == "umol/L" and creatinine["value"] == pytest.approx(79.56, abs=0.01)
    assert (creatinine["comparator"], creatinine["limit"]) == ("<=", 176.8)


@pytest.mark.parametrize("fmt,key", [("jsonlogic", "listing"), ("fhir", "entry")])
def test_export_writes_rules_in_the_format(parsed, tmp_path, fmt, key):
    out = tmp_path / f"rules.{fmt}.json"
    result = CliRunner().invoke(app, ["export", str(parsed), "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert key in json.loads(out.read_text(encoding="utf-8"))


def test_missing_patient_file_is_one_line_and_nothing_written(parsed, tmp_path):
    out = tmp_path / "note.txt"
    result = CliRunner().invoke(app, ["match", str(parsed), str(tmp_path / "nobody.json"), "-o", str(out)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "nobody.json: cannot read" in result.output
    assert not out.exists()


def test_a_json_that_is_not_a_parsed_listing_is_refused(tmp_path):
    patient = ROOT / "examples" / "patient-eligible.json"
    result = CliRunner().invoke(app, ["match", str(patient), str(patient)])
    assert result.exit_code == 2
    assert "patient-eligible.json: not a parsed listing" in result.output


def test_a_listing_without_criteria_needs_review(tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"parser_version": "test"}), encoding="utf-8")
    result = CliRunner().invoke(app, ["match", str(empty), str(ROOT / "examples" / "patient-eligible.json")])
    assert result.exit_code == 0 and "Result: NEEDS REVIEW" in result.output


def test_match_answers_scores_doses_and_event_windows_of_a_rich_patient():
    fixtures = ROOT / "tests" / "fixtures" / "match"
    result = CliRunner().invoke(app, ["match", str(fixtures / "listing-scores.txt"),
                                      str(fixtures / "patient-rich.json")])
    assert result.exit_code == 0, result.output
    assert "Result: ELIGIBLE" in result.output and "[unknown]" not in result.output
    assert "ASA II (2026-02-20) between I and II: met" in result.output
    assert "its dose 1500 mg/d is within the limit metformin ≤ 2000 mg/d: met" in result.output
    assert "stroke ruled out: not met" in result.output
