"""The screening audit (issue 11): every definite answer on the tune sample is judged, and none judged wrong returns.

Re-runs ``benchmarks/audit/audit.json``'s sample of ../shared/ctgov (skipped when it is absent) against its
patients. A definite answer without a judgement fails: judge it first (``benchmarks/audit/audit.py --pending
FILE`` writes them with their text; add the judgement lines to ``benchmarks/audit/judgements.jsonl``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from criteria_parser.curation.audit import Judgement, assess, draw, parse, read_judgements, screen, text_sha

ROOT = Path(__file__).resolve().parents[1]
CONFIG = json.loads((ROOT / "benchmarks" / "audit" / "audit.json").read_text(encoding="utf-8"))
CTGOV = ROOT / CONFIG["ctgov"]
#: Wrong answers still given on the tune sample (issue 11 lowers this to its target, never raises it).
KNOWN_WRONG = 1
#: Wrong overall verdicts still given (the target is none).
KNOWN_WRONG_VERDICTS = 0


@pytest.fixture(scope="module")
def audit():
    if not CTGOV.is_dir():
        pytest.skip("../shared/ctgov is not there")
    records = draw(CTGOV, "tune", CONFIG["samples"]["tune"], CONFIG["seed"])
    run = screen(parse(records), [ROOT / p for p in CONFIG["patients"]])
    return run, assess(run, read_judgements(ROOT / CONFIG["judgements"]["tune"]))


def test_every_definite_answer_is_judged(audit):
    _, report = audit
    unjudged = [f"{a.nct_id} {a.patient} {a.section} {a.label}: {a.answer}" for a in report.unjudged]
    assert not unjudged, "judge these first (benchmarks/audit/audit.py --pending FILE):\n" + "\n".join(unjudged)


def test_no_more_wrong_answers_than_known(audit):
    _, report = audit
    wrong = [f"{a.nct_id} {a.patient} {a.section} {a.label}: {a.answer}, expected {j.expected} ({j.reason})"
             for a, j in report.wrong]
    assert report.wrong_total <= KNOWN_WRONG, "\n".join(wrong)
    assert report.verdicts_wrong <= KNOWN_WRONG_VERDICTS


def test_a_patient_answers_the_same_from_json_and_fhir(audit):
    run, _ = audit
    assert not run.disagreements


def test_the_judgements_quote_no_registry_text():
    lines = (ROOT / CONFIG["judgements"]["tune"]).read_text(encoding="utf-8").splitlines()
    judgements = [Judgement.model_validate_json(line) for line in lines]
    assert judgements and all(len(j.text_sha) == 12 and len(j.reason) < 240 for j in judgements)


def test_a_criterion_is_keyed_by_its_text_whitespace_aside():
    assert text_sha("Age ≥ 18\n years") == text_sha("Age ≥ 18 years") != text_sha("Age ≥ 19 years")
