"""JsonLogic exports, run by an independent engine (panzi-json-logic), agree with the built-in evaluator."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from json_logic import jsonLogic

from criteria_parser.match.plan import TRUTH_WORDS
from criteria_parser.match.compiler import compile_listing
from criteria_parser.export.jsonlogic import export_jsonlogic, jsonlogic_data
from criteria_parser.match.facts import build_facts
from criteria_parser.grammar.loader import load_grammars
from criteria_parser.match.screen import STATUS, assess
from criteria_parser.grammar.matching import load_matching_grammar
from pydantic import ValidationError

from criteria_parser.match.patient_files import load_patient
from criteria_parser.match.patients import Patient

ROOT = Path(__file__).resolve().parents[1]
PATIENTS = sorted((ROOT / "examples").glob("patient-*.json"))
STEROID = {"start": "2026-03-01", "end": "2026-03-02"}
VARIANTS = {  # changes to the eligible patient that reach the other branches of the rules
    "dexamethasone physiological": lambda d: d["treatments"].append(
        {"name": "dexamethasone", "dose": {"value": 0.5, "unit": "mg/d"}, **STEROID}),
    "dexamethasone high": lambda d: d["treatments"].append(
        {"name": "dexamethasone", "dose": {"value": 4, "unit": "mg/d"}, **STEROID}),
    "steroid without equivalence": lambda d: d["treatments"].append(
        {"name": "deflazacort", "classes": ["systemic corticosteroids"], **STEROID}),
    "prednisone without dose": lambda d: d["treatments"].append({"name": "prednisone", **STEROID}),
    "no treatment history": lambda d: d.pop("treatments"),
    "a treatment history not said to be complete": lambda d: d.pop("treatments_complete"),
    "no infusion date": lambda d: d.pop("anchors"),
    "creatinine without unit": lambda d: d["results"][3].pop("unit"),
    "ALT without reference range": lambda d: d["results"][1].pop("reference_range"),
    "ALT with a ULN of 0": lambda d: d["results"][1]["reference_range"].update(high=0),
    "epilepsy": lambda d: d["diagnoses"][2].update(status="active"),
    "resolved hepatitis B": lambda d: d["diagnoses"][6].update(status="resolved"),
    "contraception declined": lambda d: d["confirmations"][1].update(answer=False),
    "ECOG 0 and a steroid given on the infusion day": lambda d: (
        d["results"][6].update(value=0),
        d["treatments"].append({"name": "prednisone", "start": "2026-03-05", "dose": {"value": 20, "unit": "mg/d"}})),
    "nothing known": lambda d: [d.pop(k) for k in list(d) if k != "id"],
}


def _variant(change) -> Patient:
    data = json.loads((ROOT / "examples" / "patient-eligible.json").read_text(encoding="utf-8"))
    change(data)
    return Patient.model_validate(data)


@pytest.fixture(scope="module")
def plan():
    from criteria_parser.parser import Parser

    listing = Parser().parse_file(ROOT / "corpora" / "NCT06633354-listing.txt")
    return compile_listing(listing, load_grammars(), load_matching_grammar())


@pytest.mark.parametrize(
    "patient",
    [load_patient(p) for p in PATIENTS] + [_variant(change) for change in VARIANTS.values()],
    ids=[p.name for p in PATIENTS] + list(VARIANTS),
)
def test_exported_rules_agree_with_the_built_in_evaluator(plan, patient):
    exported = json.loads(json.dumps(export_jsonlogic(plan)))  # as another engine would read it
    facts = build_facts(patient, plan, load_grammars(), load_matching_grammar())
    data = json.loads(json.dumps(jsonlogic_data(facts)))
    builtin = assess(plan, facts, load_matching_grammar(), patient.id, "test")
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


MUTATIONS = [None, 0, 1, 2.5, 100, -3, "2026-03-01", "2025-01-01", "mg/dL", "U/L", "g/L", "mo", "active", "resolved",
             "absent", True, False]


def _leaves(node, path=()):
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        yield path + (key,)
        yield from _leaves(value, path + (key,))


def test_agreement_on_randomly_changed_patients(plan):
    """Seeded random changes (a value replaced or dropped) to the example patients: every valid one agrees."""
    chance = random.Random(6)
    bases = [json.loads(p.read_text(encoding="utf-8")) for p in PATIENTS if "fhir" not in p.name]
    exported = json.loads(json.dumps(export_jsonlogic(plan)))
    checked = 0
    while checked < 150:
        data = json.loads(json.dumps(chance.choice(bases)))
        for _ in range(chance.randint(1, 3)):
            *parents, last = chance.choice(list(_leaves(data)))
            node = data
            for key in parents:
                node = node[key]
            node[last] = chance.choice(MUTATIONS)
        try:
            patient = Patient.model_validate(data)
        except ValidationError:
            continue
        facts = build_facts(patient, plan, load_grammars(), load_matching_grammar())
        builtin = assess(plan, facts, load_matching_grammar(), patient.id, "test")
        values = json.loads(json.dumps(jsonlogic_data(facts)))
        for rule, result in zip(exported["criteria"], builtin.criteria):
            assert TRUTH_WORDS[float(jsonLogic(rule["rule"], values))] == result.result, (data, rule["label"])
        checked += 1


RICH = ROOT / "tests" / "fixtures" / "match" / "patient-rich.json"
RICH_VARIANTS = {  # the rich patient changed to reach every branch of the category, dose and event-window rules
    "as given": lambda d: None,
    "NYHA III as a roman numeral sign": lambda d: d["results"][0].update(category="Ⅲ"),
    "NYHA off the scale": lambda d: d["results"][0].update(category="V"),
    "NYHA as a number": lambda d: d["results"][0].update(category=None, value=4),
    "Child-Pugh in points": lambda d: d["results"][2].update(category=None, value=8),
    "Child-Pugh C": lambda d: d["results"][2].update(category="C"),
    "no ASA": lambda d: d["results"].pop(3),
    "ASA III and ECOG 2": lambda d: (d["results"][3].update(category="III"), d["results"][1].update(value=2)),
    "metformin over the limit": lambda d: d["treatments"][0]["dose"].update(value=2550),
    "metformin without a unit": lambda d: d["treatments"][0]["dose"].pop("unit"),
    "metformin stopped": lambda d: d["treatments"][0].update(end="2026-01-01"),
    "dexamethasone high, recent": lambda d: d["treatments"].append(
        {"name": "dexamethasone", "dose": {"value": 6, "unit": "mg/d"}, "start": "2026-02-15"}),
    "prednisone high, recent": lambda d: d["treatments"][1].update(
        end="2026-02-25", dose={"value": 30, "unit": "mg/d"}),
    "steroid without equivalence": lambda d: d["treatments"].append(
        {"name": "deflazacort", "classes": ["systemic corticosteroids"], "start": "2026-02-15"}),
    "recent myocardial infarction": lambda d: d["diagnoses"][1].update(onset="2026-01-20"),
    "undated myocardial infarction": lambda d: d["diagnoses"][1].pop("onset"),
    "myocardial infarction recorded only": lambda d: d["diagnoses"][1].update(onset=None, recorded="2025-12-01"),
    "stroke recorded recently": lambda d: d["diagnoses"][2].update(status="active", onset="2026-02-01"),
    "no randomization date": lambda d: d["anchors"].pop("randomization"),
    "recent surgery": lambda d: d["treatments"][2].update(start="2026-02-25", end="2026-02-25"),
    "no treatment history": lambda d: d.pop("treatments"),
    "a treatment history not said to be complete": lambda d: d.pop("treatments_complete"),
    "nothing known": lambda d: [d.pop(k) for k in list(d) if k != "id"],
}


@pytest.fixture(scope="module")
def rich_plan():
    from criteria_parser.parser import Parser

    listing = Parser().parse_file(ROOT / "tests" / "fixtures" / "match" / "listing-scores.txt")
    return compile_listing(listing, load_grammars(), load_matching_grammar())


def _agree(plan, patient: Patient) -> None:
    exported = json.loads(json.dumps(export_jsonlogic(plan)))
    facts = build_facts(patient, plan, load_grammars(), load_matching_grammar())
    data = json.loads(json.dumps(jsonlogic_data(facts)))
    builtin = assess(plan, facts, load_matching_grammar(), patient.id, "test")
    for rule, result in zip(exported["criteria"], builtin.criteria):
        assert TRUTH_WORDS[float(jsonLogic(rule["rule"], data))] == result.result, (rule["label"], result.reasons)
    assert STATUS[float(jsonLogic(exported["listing"], data))] == builtin.status


@pytest.mark.parametrize("change", list(RICH_VARIANTS.values()), ids=list(RICH_VARIANTS))
def test_category_dose_and_event_rules_agree_with_the_built_in_evaluator(rich_plan, change):
    data = json.loads(RICH.read_text(encoding="utf-8"))
    change(data)
    _agree(rich_plan, Patient.model_validate(data))


def test_the_rich_variants_reach_met_not_met_and_unknown_of_every_new_check(rich_plan):
    seen: dict[str, set] = {}
    for change in RICH_VARIANTS.values():
        data = json.loads(RICH.read_text(encoding="utf-8"))
        change(data)
        patient = Patient.model_validate(data)
        facts = build_facts(patient, rich_plan, load_grammars(), load_matching_grammar())
        for result in assess(rich_plan, facts, load_matching_grammar(), patient.id, "test").criteria:
            seen.setdefault(f"{result.section} {result.label}", set()).add(result.result)
    assert {label for label, answers in seen.items() if answers != {"met", "not met", "unknown"}} == set(), seen


def test_agreement_on_randomly_changed_rich_patients(rich_plan):
    chance = random.Random(7)
    base = json.loads(RICH.read_text(encoding="utf-8"))
    checked = 0
    while checked < 100:
        data = json.loads(json.dumps(base))
        for _ in range(chance.randint(1, 3)):
            *parents, last = chance.choice(list(_leaves(data)))
            node = data
            for key in parents:
                node = node[key]
            node[last] = chance.choice(MUTATIONS + ["III", "C", "2026-02-25"])
        try:
            patient = Patient.model_validate(data)
        except ValidationError:
            continue
        _agree(rich_plan, patient)
        checked += 1
