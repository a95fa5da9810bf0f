"""JsonLogic exports, run by an independent engine (panzi-json-logic), agree with the built-in evaluator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from json_logic import jsonLogic

from criteria_parser.checks import TRUTH_WORDS, compile_listing
from criteria_parser.export_jsonlogic import export_jsonlogic, jsonlogic_data
from criteria_parser.facts import build_facts
from criteria_parser.grammar import load_grammars
from criteria_parser.matcher import STATUS, match
from criteria_parser.matching_grammar import load_matching_grammar
from criteria_parser.patients import load_patient

ROOT = Path(__file__).resolve().parents[1]
PATIENTS = sorted((ROOT / "examples").glob("patient-*.json"))


@pytest.fixture(scope="module")
def plan():
    from criteria_parser.parser import Parser

    listing = Parser().parse_file(ROOT / "corpora" / "NCT06633354-listing.txt")
    return compile_listing(listing, load_grammars(), load_matching_grammar())


@pytest.mark.parametrize("path", PATIENTS, ids=lambda p: p.name)
def test_exported_rules_agree_with_the_built_in_evaluator(plan, path):
    exported = json.loads(json.dumps(export_jsonlogic(plan)))  # as another engine would read it
    patient = load_patient(path)
    facts = build_facts(patient, plan, load_grammars(), load_matching_grammar())
    data = json.loads(json.dumps(jsonlogic_data(facts)))
    builtin = match(plan, facts, load_matching_grammar(), patient.id, "test")
    assert len(exported["criteria"]) == len(builtin.criteria)
    for rule, result in zip(exported["criteria"], builtin.criteria):
        assert (rule["section"], rule["label"]) == (result.section, result.label)
        assert TRUTH_WORDS[float(jsonLogic(rule["rule"], data))] == result.result, rule["label"]
    assert STATUS[float(jsonLogic(exported["listing"], data))] == builtin.status


def test_limits_are_pre_normalized_to_the_documented_unit(plan):
    exported = export_jsonlogic(plan)
    variables = {v["path"]: v for v in exported["variables"]}
    assert variables["obs.creatinine"]["unit"] == "umol/L"
    assert variables["treatments[].days_before.infusion"]["unit"] == "d"
    rule = json.dumps(next(r for r in exported["criteria"] if r["label"] == "6.3")["rule"])
    assert '"<=": [{"var": "current.days_before.infusion"}, 14.0]' in rule  # 2 weeks, in days


def test_missing_value_is_unknown_in_jsonlogic_too(plan):
    exported = export_jsonlogic(plan)
    rule = next(r for r in exported["criteria"] if r["section"] == "inclusion" and r["label"] == "6")["rule"]
    assert jsonLogic(rule, {}) == 0.5
    assert jsonLogic(rule, {"obs": {"lvef": {"value": 49}}}) == 0
    assert jsonLogic(rule, {"obs": {"lvef": {"value": 50}}}) == 1
