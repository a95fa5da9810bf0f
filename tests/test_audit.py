"""The screening audit (issue 11): every definite answer on the tune samples is judged, and none judged wrong returns.

Re-runs each tune-part sample of ``benchmarks/audit/audit.json`` (of ../shared/ctgov, skipped when it is absent)
against its patients. A definite answer without a judgement fails: judge it first (``benchmarks/audit/audit.py
--sample NAME --pending FILE`` writes them with their text; add the judgement lines to the sample's file).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from criteria_parser.curation.audit import (
    AuditConfig, Judgement, assess, draw_sample, parse, read_judgements, screen, text_sha,
)
from criteria_parser.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
CONFIG = AuditConfig.read(ROOT / "benchmarks" / "audit" / "audit.json")
CTGOV = ROOT / CONFIG.ctgov
TUNE = [name for name, sample in CONFIG.samples.items() if sample.part == "tune"]
#: Wrong answers still given on each tune sample (issue 11 lowers these to its target, never raises them).
KNOWN_WRONG = {"tune": 0, "tune2": 0, "tune3": 0, "tune4": 0, "tune5": 0}
#: Wrong overall verdicts still given on each tune sample (the target is none).
KNOWN_WRONG_VERDICTS = {"tune": 0, "tune2": 0, "tune3": 0, "tune4": 0, "tune5": 0}


@pytest.fixture(scope="module", params=TUNE)
def audit(request):
    if not CTGOV.is_dir():
        pytest.skip("../shared/ctgov is not there")
    records = draw_sample(CTGOV, CONFIG.samples, request.param)
    run = screen(parse(records), [ROOT / p for p in CONFIG.patients])
    return request.param, run, assess(run, read_judgements(ROOT / CONFIG.samples[request.param].judgements))


def test_every_definite_answer_is_judged(audit):
    _, _, report = audit
    unjudged = [f"{a.nct_id} {a.patient} {a.section} {a.label}: {a.answer}" for a in report.unjudged]
    assert not unjudged, "judge these first (benchmarks/audit/audit.py --pending FILE):\n" + "\n".join(unjudged)


def test_no_more_wrong_answers_than_known(audit):
    name, _, report = audit
    wrong = [f"{a.nct_id} {a.patient} {a.section} {a.label}: {a.answer}, expected {j.expected} ({j.reason})"
             for a, j in report.wrong]
    assert report.wrong_total <= KNOWN_WRONG[name], "\n".join(wrong)
    assert report.verdicts_wrong <= KNOWN_WRONG_VERDICTS[name]


def test_a_patient_answers_the_same_from_json_and_fhir(audit):
    _, run, _ = audit
    assert not run.disagreements


@pytest.mark.parametrize("name", list(CONFIG.samples))
def test_the_judgements_quote_no_registry_text(name):
    lines = (ROOT / CONFIG.samples[name].judgements).read_text(encoding="utf-8").splitlines()
    judgements = [Judgement.model_validate_json(line) for line in lines]
    assert judgements and all(len(j.text_sha) == 12 and len(j.reason) < 240 for j in judgements)


def test_a_sample_shares_no_listing_with_the_samples_it_excludes():
    if not CTGOV.is_dir():
        pytest.skip("../shared/ctgov is not there")
    drawn = {name: {r.id for r in draw_sample(CTGOV, CONFIG.samples, name)} for name in CONFIG.samples}
    for name, sample in CONFIG.samples.items():
        assert len(drawn[name]) == sample.count
        assert all(not drawn[name] & drawn[other] for other in sample.excluding)


def test_an_unknown_sample_is_a_one_line_error():
    with pytest.raises(InputError, match="no such audit sample"):
        draw_sample(CTGOV, CONFIG.samples, "nonesuch")


def test_a_criterion_is_keyed_by_its_text_whitespace_aside():
    assert text_sha("Age ≥ 18\n years") == text_sha("Age ≥ 18 years") != text_sha("Age ≥ 19 years")
