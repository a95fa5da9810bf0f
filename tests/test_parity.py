"""One reading of a listing: match's plan, its JsonLogic and its FHIR have the same all/any/not structure.

Each of the three is read back into a shape: ``("all", parts)``, ``("any", parts)``, ``("not", part)``,
``("agree", parts)`` (all or any, unclear), ``LEAF`` (one check) or ``TEXT`` (the criterion is answered from the
conditions its text names, which FHIR does not export). JsonLogic says everything the plan says, so its shape must
equal the plan's. FHIR has no word for two of the plan's readings, so it is compared with what FHIR can say of the
plan: "at most unknown" and "at least unknown" (what the text does not back, issue 11) are left out, and "all or any, unclear" is
all-of. Shapes are compared up to the laws that keep the truth: nested all (any) flattened into all (any),
not-any as all-of-nots, a join of one part as that part, and the order of parts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import SHARED
from criteria_parser.export.fhir import NOT_CHECKABLE, export_fhir, sourced
from criteria_parser.export.jsonlogic import export_jsonlogic
from criteria_parser.grammar.loader import load_grammars
from criteria_parser.grammar.matching import load_matching_grammar
from criteria_parser.match.facts import build_facts
from criteria_parser.match.patient_files import load_patient
from criteria_parser.match.plan import (
    UNKNOWN, Agreeing, AllOf, AnyOf, AtLeastUnknown, AtMostUnknown, Check, ConceptCheck, ListingPlan, Negated, TreatmentWindow,
    Unknown, Unless,
)
from criteria_parser.match.compiler import compile_listing
from criteria_parser.match.screen import Evaluator

ROOT = Path(__file__).resolve().parents[1]
CTGOV = SHARED / "ctgov"
LEAF, TEXT = ("leaf",), ("text",)
GRAMMARS, MATCHING = load_grammars(), load_matching_grammar()


def plan_shape(check: Check, fhir: bool = False) -> tuple:
    """The plan's shape of a check; ``fhir``: what FHIR can say of it."""
    if fhir and not sourced(check):
        return TEXT
    if isinstance(check, AllOf):
        return ("all", tuple(plan_shape(p, fhir) for p in check.parts))
    if isinstance(check, AnyOf):
        return ("any", tuple(plan_shape(p, fhir) for p in check.parts))
    if isinstance(check, Agreeing):
        return ("all" if fhir else "agree", tuple(plan_shape(p, fhir) for p in check.parts))
    if isinstance(check, Unless):
        return ("all", (plan_shape(check.condition, fhir),
                        ("not", ("any", tuple(plan_shape(e, fhir) for e in check.exceptions)))))
    if isinstance(check, Negated):
        return ("not", plan_shape(check.part, fhir))
    if isinstance(check, AtMostUnknown):
        return plan_shape(check.part, fhir) if fhir else ("all", (plan_shape(check.part), LEAF))
    if isinstance(check, AtLeastUnknown):
        return plan_shape(check.part, fhir) if fhir else ("any", (plan_shape(check.part), LEAF))
    if fhir and isinstance(check, TreatmentWindow) and check.exception is not None:
        return ("all", (LEAF, ("not", LEAF)))  # the dose it lets pass, an exclude characteristic beside it
    return LEAF


def jsonlogic_shape(rule: Any) -> tuple:
    """The shape of a JsonLogic rule: min is all, max is any, 1 - x is not; anything else is one check."""
    if isinstance(rule, dict) and len(rule) == 1:
        (operator, args), = rule.items()
        if operator == "min":
            return ("all", tuple(jsonlogic_shape(a) for a in args))
        if operator == "max":
            return ("any", tuple(jsonlogic_shape(a) for a in args))
        if operator == "-" and len(args) == 2 and args[0] == 1:
            return ("not", jsonlogic_shape(args[1]))
        if operator == "if" and len(args) == 3 and args[2] == UNKNOWN and list(args[0]) == ["=="]:
            low, high = args[0]["=="]
            if low == args[1] and list(low) == ["min"] and high == {"max": low["min"]}:
                return ("agree", tuple(jsonlogic_shape(a) for a in low["min"]))
    return LEAF


def _one_constraint(characteristic: dict) -> bool:
    """Whether a characteristic states one constraint: no combination, or only the categories a rank comparison
    admits (bare values, neither described nor combined)."""
    combination = characteristic.get("definitionByCombination")
    return combination is None or all("description" not in c and "definitionByCombination" not in c
                                      for c in combination["characteristic"])


def fhir_shape(characteristic: dict, criterion: bool = True) -> tuple:
    """The shape of a FHIR characteristic: all-of, any-of, exclude; a criterion's ``exclude`` marks its section."""
    if not criterion and characteristic.get("exclude"):
        return ("not", fhir_shape({k: v for k, v in characteristic.items() if k != "exclude"}, False))
    if any(e["url"] == NOT_CHECKABLE for e in characteristic.get("extension", [])):
        return TEXT
    if _one_constraint(characteristic):
        return LEAF
    combination = characteristic["definitionByCombination"]
    code = {"all-of": "all", "any-of": "any"}[combination["code"]]
    return (code, tuple(fhir_shape(c, "linkId" in c) for c in combination["characteristic"]))


def normal(shape: tuple) -> Any:
    """``shape`` up to the laws that keep its truth (see the module docstring), as a comparable value."""
    if shape[0] == "not":
        inner = normal(shape[1])
        if inner[0] == "any":
            return normal(("all", tuple(("not", p) for p in inner[1])))
        return inner[1] if inner[0] == "not" else ("not", inner)
    if shape[0] in ("all", "any", "agree"):
        parts = [normal(p) for p in shape[1]]
        if shape[0] != "agree":
            parts = [q for p in parts for q in (p[1] if p[0] == shape[0] else (p,))]
        if len(parts) == 1:
            return parts[0]
        if shape[0] != "agree" and all(p == TEXT for p in parts):
            return TEXT
        return (shape[0], tuple(sorted(parts, key=repr)))
    return shape


def fhir_criteria(bundle: dict) -> list[dict]:
    """The top-level criterion characteristics of an exported bundle."""
    evidence = bundle["entry"][1]["resource"]
    return evidence["characteristic"][0]["definitionByCombination"]["characteristic"]


def criterion_characteristics(node: Any, out: list) -> list:
    """Every criterion characteristic (top-level or a sub-item) under ``node``, depth first: the order of the plan's
    criteria (labels may repeat, so they are paired by place and their linkIds checked)."""
    if isinstance(node, dict):
        if "linkId" in node:
            out.append(node)
        for value in node.values():
            criterion_characteristics(value, out)
    elif isinstance(node, list):
        for value in node:
            criterion_characteristics(value, out)
    return out


def disagreements(plan: ListingPlan) -> list[str]:
    """Every criterion (and the listing rule) whose three readings differ, with the shapes."""
    rules = export_jsonlogic(plan)
    tops = fhir_criteria(export_fhir(plan, GRAMMARS, MATCHING))
    written = criterion_characteristics(tops, [])
    assert [c["linkId"] for c in written] == [f"{p.section}-{p.label}" for p in plan.criteria]
    out = []
    for planned, rule, characteristic in zip(plan.criteria, rules["criteria"], written):
        where = f"{plan.listing.trial.nct_id or plan.listing.source} {planned.section}-{planned.label}"
        full, logic = normal(plan_shape(planned.check)), normal(jsonlogic_shape(rule["rule"]))
        if full != logic:
            out.append(f"{where}: plan {full} != JsonLogic {logic}")
        said = normal(plan_shape(planned.check, fhir=True))
        fhir = normal(fhir_shape(characteristic))
        if said != fhir:
            out.append(f"{where}: plan {said} != FHIR {fhir}")
    tops_plan = [p for p in plan.criteria if p.top_level]
    listing = ("all", tuple(plan_shape(p.check, True) if p.section == "inclusion" else ("not", plan_shape(p.check, True))
                            for p in tops_plan))
    stated = ("all", tuple(fhir_shape(t) if not t.get("exclude") else ("not", fhir_shape(t)) for t in tops))
    if tops_plan and normal(listing) != normal(stated):
        out.append(f"{plan.listing.trial.nct_id}: listing plan {normal(listing)} != FHIR {normal(stated)}")
    full = ("all", tuple(plan_shape(p.check) if p.section == "inclusion" else ("not", plan_shape(p.check))
                         for p in tops_plan))
    if tops_plan and normal(full) != normal(jsonlogic_shape(rules["listing"])):
        out.append(f"{plan.listing.trial.nct_id}: listing plan != JsonLogic")
    return out


@pytest.fixture(scope="module")
def seed_plan(seed_listing) -> ListingPlan:
    return compile_listing(seed_listing, GRAMMARS, MATCHING)


@pytest.fixture(scope="module")
def scores_plan(parser) -> ListingPlan:
    listing = parser.parse_file(ROOT / "tests" / "fixtures" / "match" / "listing-scores.txt")
    return compile_listing(listing, GRAMMARS, MATCHING)


def test_the_seed_and_the_scores_listing_read_alike(seed_plan, scores_plan):
    assert disagreements(seed_plan) == disagreements(scores_plan) == []


EXCLUSION_WITH_SUB_ITEMS = """Exclusion Criteria:
1. Any of these laboratory values:
   1. ALT > 3 x ULN
   2. creatinine > 2 mg/dL
"""


def test_issue_12_an_exclusions_sub_items_are_any_of_in_fhir_as_in_match(parser):
    """FHIR wrote an exclusion's sub-items all-of, where match and JsonLogic read them any."""
    listing = parser.parse_text(EXCLUSION_WITH_SUB_ITEMS.replace("Any of these", "These"))
    plan = compile_listing(listing, GRAMMARS, MATCHING)
    (top,) = fhir_criteria(export_fhir(plan, GRAMMARS, MATCHING))
    assert top["exclude"] is True and top["definitionByCombination"]["code"] == "any-of"
    assert [c["linkId"] for c in top["definitionByCombination"]["characteristic"]] == ["exclusion-1.1",
                                                                                     "exclusion-1.2"]
    assert disagreements(plan) == []


def test_a_changed_fhir_combination_is_a_disagreement(seed_plan):
    """The parity check can fail: all-of written for any-of is found."""
    bundle = export_fhir(seed_plan, GRAMMARS, MATCHING)
    anys = [c for c in fhir_criteria(bundle) if c.get("definitionByCombination", {}).get("code") == "any-of"
            and all("linkId" in p for p in c["definitionByCombination"]["characteristic"])]
    assert anys
    anys[0]["definitionByCombination"]["code"] = "all-of"
    planned = next(p for p in seed_plan.criteria if f"{p.section}-{p.label}" == anys[0]["linkId"])
    assert normal(plan_shape(planned.check, fhir=True)) != normal(fhir_shape(anys[0]))


@pytest.fixture(scope="module")
def ctgov_plans(parser) -> list[ListingPlan]:
    """Every record of ../shared/ctgov parsed once (as ``import`` reads it) and compiled."""
    from criteria_parser.registry.records.parse import parse_records
    from criteria_parser.registry.records.record import Record
    from criteria_parser.registry.records.sources import read_inputs

    records = [item for item in read_inputs([CTGOV]) if isinstance(item, Record)]
    parsed = [result for result in parse_records(parser, records) if isinstance(result, tuple)]
    return [compile_listing(listing, GRAMMARS, MATCHING) for _, listing in parsed]


@pytest.mark.skipif(not CTGOV.is_dir(), reason="../shared/ctgov is absent")
def test_every_ctgov_criterion_reads_alike_in_match_jsonlogic_and_fhir(ctgov_plans):
    assert len(ctgov_plans) > 500
    assert sum(len(plan.criteria) for plan in ctgov_plans) > 10000
    found = [line for plan in ctgov_plans for line in disagreements(plan)]
    assert found == [], "\n".join(found[:20])


def _leaves(check: Check) -> list[Check]:
    if isinstance(check, (AllOf, AnyOf)):
        return [leaf for p in check.parts for leaf in _leaves(p)]
    if isinstance(check, Unless):
        return _leaves(check.condition) + [leaf for e in check.exceptions for leaf in _leaves(e)]
    return [check]


def _fhir_says_all(check: Check) -> bool:
    """Whether FHIR states the whole check: only all, any and exceptions over constraints it writes one for each."""
    if isinstance(check, (AllOf, AnyOf)):
        return all(_fhir_says_all(p) for p in check.parts)
    if isinstance(check, Unless):
        return _fhir_says_all(check.condition) and all(_fhir_says_all(e) for e in check.exceptions)
    if isinstance(check, (Agreeing, AtMostUnknown, AtLeastUnknown, Negated, ConceptCheck)):
        return False
    if isinstance(check, TreatmentWindow) and check.exception is not None:
        return False
    return not isinstance(check, Unknown) or check.source is not None


def fhir_truth(characteristic: dict, truths: dict, criterion: bool = True) -> float:
    """A characteristic's truth: all-of the minimum, any-of the maximum, exclude one minus, each constraint's
    truth as match gives it (found by the span FHIR records; a criterion of one constraint is that one)."""
    if not criterion and characteristic.get("exclude"):
        return 1 - fhir_truth({k: v for k, v in characteristic.items() if k != "exclude"}, truths, False)
    combination = characteristic.get("definitionByCombination")
    if _one_constraint(characteristic):
        if criterion:
            (truth,) = truths.values()
            return truth
        span = characteristic["extension"][0]["valueRange"]
        return truths[(span["low"]["value"], span["high"]["value"])]
    parts = [fhir_truth(c, truths, "linkId" in c) for c in combination["characteristic"]]
    return min(parts) if combination["code"] == "all-of" else max(parts)


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "examples").glob("patient-*.json")))
def test_fhir_answers_as_match_wherever_it_states_the_whole_criterion(seed_plan, scores_plan, name):
    patient = load_patient(ROOT / "examples" / name)
    compared = 0
    for plan in (seed_plan, scores_plan):
        evaluator = Evaluator(build_facts(patient, plan, GRAMMARS, MATCHING), MATCHING)
        written = criterion_characteristics(fhir_criteria(export_fhir(plan, GRAMMARS, MATCHING)), [])
        for planned, characteristic in zip(plan.criteria, written):
            if not _fhir_says_all(planned.check):
                continue
            truths = {(leaf.source.text_start, leaf.source.text_end): evaluator.read(leaf).truth
                      for leaf in _leaves(planned.check)}
            assert fhir_truth(characteristic, truths) == evaluator.read(planned.check).truth, planned.label
            compared += 1
    assert compared >= 15
