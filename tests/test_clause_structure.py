"""Model 2.1 (issue 10, part 2b): every entity's and constraint's assertions, condition clauses and what depends on
them, permission clauses, exceptions with what they except and substitute, and each criterion's logic tree,
filled by ``criteria_context`` and ``criteria_clauses`` in the parse pipeline.

The cases are ``tests/cases/structure.jsonl`` (a criterion in, its structure out, ids without the criterion's
prefix; a known gap is an ``xfail`` line); add a line to add a case."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import spacy

from criteria_parser.export.flat import entity_rows, flat_rows
from criteria_parser.lct.brat import comparator_spans, listing_ann, read_ann
from criteria_parser.model import Listing

CASES = [json.loads(line) for line in (Path(__file__).parent / "cases" / "structure.jsonl")
         .read_text(encoding="utf-8").splitlines() if line.strip()]


def _criterion(parser, text: str, section: str = "inclusion"):
    heading = "Exclusion Criteria:" if section == "exclusion" else "Inclusion Criteria:"
    listing = parser.parse_text(f"{heading}\n1. {text}\n")
    return listing, listing.sections[0].criteria[0]


def _structure(criterion) -> dict:
    prefix = criterion.id + "."
    clause_text = {k.id: k.text for k in criterion.clauses}
    return {
        "tree": criterion.tree.describe(prefix) if criterion.tree else None,
        "constraints": {c.id.removeprefix(prefix): f"{c.subject} {c.comparator} "
                        f"{c.value if c.value is not None else c.category}" for c in criterion.constraints},
        "assertions": {e.text: sorted(a.kind for a in e.assertions) for e in criterion.entities if e.assertions},
        "conditions": {x.id.removeprefix(prefix): clause_text[x.condition]
                       for x in (*criterion.entities, *criterion.constraints) if x.condition},
        "clauses": [[k.kind, k.text] for k in criterion.clauses],
        "exceptions": [[x.text, x.substitutes, [i.removeprefix(prefix) for i in x.excepts],
                        [i.removeprefix(prefix) for i in x.parts]] for x in criterion.exceptions],
    }


@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.xfail(reason=c["xfail"], strict=True))
                                  if "xfail" in c else c for c in CASES], ids=[c["text"][:50] for c in CASES])
def test_structure_case(parser, case):
    _, criterion = _criterion(parser, case["text"], case.get("section", "inclusion"))
    expected = {key: case[key] for key in ("tree", "constraints", "assertions", "conditions", "clauses", "exceptions")}
    assert _structure(criterion) == expected


def test_provenance_spans_point_into_the_input(parser):
    text = "Inclusion Criteria:\n1. Age ≥ 18\n2. Creatinine ≤1.5×ULN OR CrCl ≥60 mL/min for subjects with creatinine >1.5×ULN\n"
    listing = parser.parse_text(text)
    criterion = listing.sections[0].criteria[1]
    clause = criterion.clauses[0]
    assert text[clause.start:clause.end] == clause.text and text[clause.cue.start:clause.cue.end] == "for subjects with"
    (joiner,) = criterion.tree.joiners
    assert text[joiner.start:joiner.end] == "OR" and joiner.rule == "cue.alternative"
    (mark,) = next(e for e in criterion.entities if e.start > clause.start).assertions
    assert text[mark.start:mark.end] == mark.cue and mark.kind == "hypothetical" and mark.rule


def test_a_negated_entity_of_a_criterion_without_numbers(parser):
    _, criterion = _criterion(parser, "Not using highly effective contraception", "exclusion")
    (entity,) = [e for e in criterion.entities if e.assertions]
    assert entity.text == "effective contraception" and [(a.kind, a.cue, a.rule) for a in entity.assertions] == [
        ("negated", "Not", "ctx.neg.not")]


def test_a_negation_bears_on_the_entity_it_names_not_on_its_circumstance(parser):
    """The pipeline gives the ConText reader its entities: 'unable to perform pace mapping during ablation
    procedure' negates the pace mapping, not the procedure it happens during (cues.jsonl ``circumstance``)."""
    _, criterion = _criterion(parser, "Unable to perform pace mapping during ablation procedure", "exclusion")
    assert {e.text: [a.kind for a in e.assertions] for e in criterion.entities} == {
        "pace mapping": ["negated"], "ablation procedure": []}

def test_the_components_are_registered_factories():
    from criteria_parser.pipeline.build import PIPE_NAMES  # importing the pipeline registers its factories
    assert PIPE_NAMES[-2:] == ("criteria_context", "criteria_clauses")
    assert set(PIPE_NAMES) <= set(spacy.registry.factories.get_all())


def test_the_spacy_factories_entry_points_are_the_registered_components():
    from importlib.metadata import entry_points
    from criteria_parser.pipeline.build import PIPE_NAMES
    points = {ep.name: ep for ep in entry_points(group="spacy_factories") if ep.value.startswith("criteria_parser.")}
    assert sorted(points) == sorted(PIPE_NAMES)
    for name, point in points.items():
        assert point.load() is spacy.registry.factories.get(name), name


def test_validation_drops_links_to_parts_a_criterion_does_not_have(parser):
    listing, criterion = _criterion(parser, "Creatinine ≤1.5×ULN OR CrCl ≥60 mL/min for subjects with creatinine >1.5×ULN")
    data = listing.model_dump()
    own = data["sections"][0]["criteria"][0]
    own["constraints"] = [c for c in own["constraints"] if c["id"] != "in1.c1"]
    own["clauses"] = []
    pruned = Listing.model_validate(data).sections[0].criteria[0]
    assert pruned.tree.describe("in1.") == "any(c2)" and all(c.condition is None for c in pruned.constraints)


def test_flat_rows_carry_assertions_and_conditions(parser):
    listing, _ = _criterion(parser, "Creatinine ≤1.5×ULN OR CrCl ≥60 mL/min for subjects with creatinine >1.5×ULN")
    rows = {r["constraint_id"]: r for r in flat_rows(listing)}
    assert (rows["in1.c2"]["condition"], rows["in1.c3"]["assertions"]) == ("in1.k1", "hypothetical")
    assert {r["text"]: r["assertions"] for r in entity_rows(listing)}["creatinine"] == "hypothetical"


def test_the_store_keeps_assertions_and_conditions(parser, tmp_path):
    from criteria_parser.registry.records import Record
    from criteria_parser.registry.store import Store, parsed_trial
    text = "Exclusion Criteria:\n1. Unwilling to use contraception\n"
    listing = parser.parse_text(text)
    record = Record(id="NCT00000001", text=text, source="x", format="text")
    with Store(tmp_path / "t.db") as store:
        store.write([parsed_trial(record, listing)], listing.parser_version)
    con = sqlite3.connect(tmp_path / "t.db")
    assert con.execute("SELECT text, assertions FROM entities WHERE assertions IS NOT NULL").fetchall() == [
        ("contraception", "negated")]


def test_brat_writes_negations_and_alternatives_as_lct_does(parser):
    text = "Exclusion Criteria:\n1. No history of stroke within 6 months\n2. ALT or AST >2×ULN\n"
    listing = parser.parse_text(text)
    ann = read_ann("x.ann", listing_ann(listing, text, comparator_spans(parser.grammars)), text)
    (negation,) = [e for e in ann.events.values() if e.type == "Negation"]
    target = ann.events[negation.args[0][1]]
    assert ann.entities[target.trigger].text == "stroke" and ann.entities[negation.trigger].text.lower() == "no"
    assert [relation.type for relation in ann.relations] == ["Or"]
