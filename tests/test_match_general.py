"""The evaluator beyond the seed: a small listing with age, glucose, urea, counts, ULN and a surgery window."""

from __future__ import annotations

import pytest
from json_logic import jsonLogic

from criteria_parser.match.plan import TRUTH_WORDS
from criteria_parser.match.compiler import compile_listing
from criteria_parser.export.jsonlogic import export_jsonlogic
from criteria_parser.match.facts import build_facts
from criteria_parser.grammar.loader import load_grammars
from criteria_parser.match.screen import assess
from criteria_parser.grammar.matching import load_matching_grammar
from criteria_parser.match.patients import Patient

LISTING = """Inclusion Criteria:
1. Age >= 18 years
2. Fasting plasma glucose < 7 mmol/L
3. Platelets >= 100 x 10^9/L
4. Hemoglobin >= 9 g/dL
5. Direct bilirubin < 1.5 x ULN
Exclusion Criteria:
1. Major surgery within 4 weeks prior to enrollment
2. Urea > 10 mmol/L
"""

PATIENT = {
    "id": "general", "birth_date": "1980-05-01", "as_of": "2026-03-02", "anchors": {"enrollment": "2026-03-09"},
    "results": [
        {"name": "fasting glucose", "value": 110, "unit": "mg/dL", "date": "2026-03-01"},
        {"name": "platelets", "value": 150000, "unit": "/mm3", "date": "2026-03-01"},
        {"name": "Hb", "value": 95, "unit": "g/L", "date": "2026-03-01"},
        {"name": "DBIL", "value": 0.3, "unit": "mg/dL", "date": "2026-03-01", "reference_range": {"high": 5.1, "unit": "umol/L"}},
        {"name": "blood urea", "value": 30, "unit": "mg/dL", "date": "2026-03-01"},
    ],
    "treatments": [{"name": "surgery", "start": "2026-01-05", "end": "2026-01-05"}],
    "treatments_complete": True,
}


@pytest.fixture(scope="module")
def plan():
    from criteria_parser.parser import Parser

    return compile_listing(Parser().parse_text(LISTING), load_grammars(), load_matching_grammar())


def _run(plan, changes=None):
    data = {**PATIENT, **(changes or {})}
    facts = build_facts(Patient.model_validate(data), plan, load_grammars(), load_matching_grammar())
    result = assess(plan, facts, load_matching_grammar(), data["id"], data["as_of"])
    exported = export_jsonlogic(plan)
    for rule, criterion in zip(exported["criteria"], result.criteria, strict=True):
        assert TRUTH_WORDS[float(jsonLogic(rule["rule"], facts.data))] == criterion.result
    return result


def test_general_patient_is_eligible_with_every_unit_converted(plan):
    result = _run(plan)
    reasons = [r for c in result.criteria for r in c.reasons]
    assert result.status == "eligible", reasons
    assert "age 45.83 years (born 1980-05-01) ≥ 18 years: met" in reasons
    assert "fasting glucose 110 mg/dL (2026-03-01) = 6.106 mmol/L < 7 mmol/L: met" in reasons
    assert "platelets 150000 /mm3 (2026-03-01) = 150 ×10⁹/L ≥ 100 ×10⁹/L: met" in reasons
    assert any(r.startswith("DBIL 0.3 mg/dL (2026-03-01) = 1.01 × ULN (ULN 5.1 µmol/L)") for r in reasons)
    assert "blood urea 30 mg/dL (2026-03-01) = 4.995 mmol/L > 10 mmol/L: not met" in reasons


def test_surgery_within_the_window_before_enrollment_excludes(plan):
    result = _run(plan, {"treatments": [{"name": "major surgery", "start": "2026-02-20", "end": "2026-02-20"}]})
    assert result.status == "ineligible"
    assert next(c for c in result.criteria if c.section == "exclusion" and c.label == "1").result == "met"


def test_a_minor_is_not_eligible_and_no_birth_date_is_unknown(plan):
    assert _run(plan, {"birth_date": "2010-01-01"}).status == "ineligible"
    assert _run(plan, {"birth_date": None}).criteria[0].result == "unknown"
