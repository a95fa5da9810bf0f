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
from criteria_parser.match.facts import build_facts
from criteria_parser.match.patient_files import load_patient
from criteria_parser.match.plan import TRUTH_WORDS, compile_listing
from criteria_parser.match.screen import assess
from criteria_parser.parser import Parser
from criteria_parser.registry.records.parse import parse_records
from criteria_parser.registry.records.record import Record

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CKD, NSCLC, PREGNANT, CHILD = "ckd-prednisone", "nsclc-chemo", "pregnant", "asthma-child"


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


def screened(listing, name: str, fhir: bool = False) -> dict[str, str]:
    """Each criterion's answer for an example patient, checked against the JsonLogic export of the same plan."""
    grammars, matching = load_grammars(), load_matching_grammar()
    patient = load_patient(EXAMPLES / f"patient-{name}{'.fhir' if fhir else ''}.json")
    plan = compile_listing(listing, grammars, matching)
    facts = build_facts(patient, plan, grammars, matching)
    result = assess(plan, facts, matching, patient.id, "test")
    rules = json.loads(json.dumps(export_jsonlogic(plan)))["criteria"]
    data = json.loads(json.dumps(jsonlogic_data(facts)))
    for rule, criterion in zip(rules, result.criteria, strict=True):
        assert TRUTH_WORDS[float(jsonLogic(rule["rule"], data))] == criterion.result, criterion.label
    return {f"{c.section} {c.label}": c.result for c in result.criteria}


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
