"""Issue 9, the model: every constraint's subject span and concept, every criterion's entities, ids that link them."""

from __future__ import annotations

import json
import sqlite3

import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from criteria_parser.export.flat import ENTITY_COLUMNS, FLAT_COLUMNS, entity_rows, flat_rows
from criteria_parser.model import Entity, Listing


def _criteria(parser, *lines: str, section: str = "Exclusion") -> list:
    listing = parser.parse_text(f"{section} Criteria:\n" + "".join(f"{i}. {line}\n" for i, line in enumerate(lines, 1)))
    return [c for _, c in listing.walk()]


def test_a_criterion_without_numbers_lists_its_entities(parser):
    criterion, = _criteria(parser, "Active infection of hepatitis B virus, C virus or hepatitis E virus;")
    assert [(e.id, e.text, e.type, e.name) for e in criterion.entities] == [
        ("ex1.e1", "infection", "condition", "infection"),
        ("ex1.e2", "hepatitis B virus", "condition", "hepatitis B"),
        ("ex1.e3", "C virus", "condition", "hepatitis C"),  # "hepatitis" is shared with the mention before
        ("ex1.e4", "hepatitis E virus", "condition", "hepatitis E"),
    ]
    assert criterion.constraints == []


def test_each_constraint_points_at_the_entity_it_limits(parser):
    criterion, = _criteria(parser, "ALT/AST <= 3 x ULN and serum creatinine <= 1.5 mg/dL", section="Inclusion")
    by_id = {e.id: e for e in criterion.entities}
    assert [(c.id, c.subject, by_id[c.entity].text, c.subject_concept, c.subject_code) for c in criterion.constraints] == [
        ("in1.c1", "ALT", "ALT", "lex.alt", "LOINC:1742-6"),
        ("in1.c2", "AST", "AST", "lex.ast", "LOINC:1920-8"),
        ("in1.c3", "creatinine", "serum creatinine", "lex.creatinine", "LOINC:2160-0"),
    ]
    creatinine = criterion.constraints[2]
    at = criterion.text.index("serum creatinine") + criterion.start
    assert (creatinine.subject_start, creatinine.subject_end) == (at, at + len("serum creatinine"))
    assert creatinine.subject_text == "serum creatinine" and not creatinine.open_subject


def test_a_window_points_at_the_event_it_bounds_and_keeps_its_anchor(parser):
    criterion, = _criteria(parser, "Radiotherapy within 4 weeks before the first dose of study drug")
    window, = criterion.constraints
    entity = next(e for e in criterion.entities if e.id == window.entity)
    assert (window.kind, entity.text, entity.type, window.anchor) == ("time_window", "Radiotherapy", "procedure",
                                                                      "first dose")


@pytest.mark.parametrize("text,words", [("Under 18 years of age", "years of age"), ("Aged between 18 and 60 years", "Aged")])
def test_an_age_points_at_the_person_entity_its_words_overlap(parser, text, words):
    criterion, = _criteria(parser, text, section="Inclusion")
    age, = criterion.constraints
    persons = [e for e in criterion.entities if e.type == "person"]
    assert [e.text for e in persons] == [words] and age.entity == persons[0].id and age.subject == "age"


def test_a_long_form_with_a_number_names_no_short_form(parser):
    criterion, = _criteria(parser, "Refers to the pulse oxygen saturation 92% or higher oxygen (state);", section="Inclusion")
    assert [(e.text, e.concept) for e in criterion.entities] == [("pulse oxygen saturation", "lex.spo2"),
                                                                 ("oxygen", "lex.oxygen")]


def test_life_expectancy_is_a_threshold_on_an_estimate(parser):
    criterion, = _criteria(parser, "Life expectancy of at least 3 months", section="Inclusion")
    assert [(c.kind, c.subject, c.unit) for c in criterion.constraints] == [("threshold", "life expectancy", "mo")]


def test_topical_corticosteroids_are_not_systemic(parser):
    criterion, = _criteria(parser, "Use of topical corticosteroids within 2 weeks")
    assert [(c.subject, c.subject_code) for c in criterion.constraints] == [("topical corticosteroids", "ATC:D07")]


def test_ids_are_unique_and_a_link_must_resolve(parser):
    listing = parser.parse_text("Inclusion Criteria:\n1. creatinine <= 1.5 mg/dL\nExclusion Criteria:\n1. Pregnancy\n")
    ids = [x.id for _, c in listing.walk() for x in (c, *c.entities, *c.constraints)]
    assert ids == ["in1", "in1.e1", "in1.c1", "ex1", "ex1.e1"] and len(set(ids)) == len(ids)
    data = listing.model_dump()
    data["sections"][0]["criteria"][0]["constraints"][0]["entity"] = "ex1.e1"
    with pytest.raises(ValidationError, match="points at ex1.e1, which is not an entity of criterion 1"):
        Listing.model_validate(data)
    data = listing.model_dump()
    data["sections"][1]["criteria"][0]["entities"][0]["id"] = "in1.e1"
    with pytest.raises(ValidationError, match="id in1.e1 is used twice"):
        Listing.model_validate(data)
    with pytest.raises(ValidationError, match="an entity span must hold text"):
        Entity(id="x", type="condition", text="", start=3, end=3)


def test_flat_rows_carry_the_subject_and_the_entity(seed_listing):
    rows = list(flat_rows(seed_listing))
    assert all(list(row) == list(FLAT_COLUMNS) for row in rows)
    radiotherapy = next(r for r in rows if r["subject"] == "radiotherapy")
    assert {k: radiotherapy[k] for k in ("constraint_id", "subject_concept", "open_subject", "entity", "entity_type")} == {
        "constraint_id": "ex6.4.c1", "subject_concept": "lex.radiotherapy", "open_subject": False,
        "entity": "ex6.4.e1", "entity_type": "procedure"}
    entities = list(entity_rows(seed_listing))
    assert all(list(row) == list(ENTITY_COLUMNS) for row in entities)
    assert {"section": "exclusion", "criterion": "1", "entity_id": "ex1.e1", "type": "condition", "text": "epilepsy",
            "concept": "lex.epilepsy", "name": "epilepsy", "code": None, "rule": "lex.epilepsy"}.items() <= \
        next(e for e in entities if e["entity_id"] == "ex1.e1").items()


def test_registry_fields_are_age_and_sex_concepts(tmp_path):
    from criteria_parser.registry.records.structured import add_structured
    from criteria_parser.registry.records.record import Record

    listing = Listing(parser_version="x")
    record = Record(id="NCT00000000", source="s", format="f", text="", minimum_age="18 Years", sex="FEMALE")
    add_structured(listing, record)
    criterion = listing.sections[0].criteria[0]
    assert [(c.id, c.subject, c.subject_concept) for c in criterion.constraints] == [
        ("in1.c1", "sex", "lex.sex"), ("in1.c2", "age", "lex.age")]


def test_store_and_parquet_hold_the_entities(tmp_path):
    from typer.testing import CliRunner

    from criteria_parser.cli import app

    source = tmp_path / "NCT00000001.txt"
    source.write_text("Inclusion Criteria:\n1. creatinine <= 1.5 mg/dL\nExclusion Criteria:\n1. Pregnancy\n")
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(source), "--db", str(tmp_path / "t.db"), "--quiet"]).exit_code == 0
    con = sqlite3.connect(tmp_path / "t.db")
    assert con.execute("SELECT c.subject, e.type, e.text FROM constraints c JOIN entities e ON e.nct_id = c.nct_id "
                       "AND e.entity_id = c.entity").fetchall() == [("creatinine", "measurement", "creatinine")]
    assert con.execute("SELECT entity_id, type, concept FROM entities WHERE section = 'exclusion'").fetchall() == [
        ("ex1.e1", "condition", "lex.pregnancy")]
    assert runner.invoke(app, ["import", str(source), "--out", str(tmp_path / "t.parquet"), "--quiet"]).exit_code == 0
    row, = pq.read_table(tmp_path / "t.parquet").to_pylist()
    assert [(e["entity_id"], e["text"]) for e in row["entities"]] == [("in1.e1", "creatinine"), ("ex1.e1", "Pregnancy")]
    assert row["constraints"][0]["entity"] == "in1.e1" and row["constraints"][0]["open_subject"] is False
    assert json.loads(row["listing"])["schema_version"] == "2.1"
