"""Unit conversion with the lexicon's molar masses, and the matching grammar's own checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from criteria_parser.errors import GrammarError
from criteria_parser.grammar.loader import load_grammars
from criteria_parser.grammar.matching import load_matching_grammar
from criteria_parser.grammar.units import UnitMismatch, convert, quantity

ROOT = Path(__file__).resolve().parents[1]
MATCHING = load_matching_grammar()
MOLAR = {entry.name: entry.molar_mass for entry in load_grammars().lexicon if entry.molar_mass}


@pytest.mark.parametrize("analyte,value,unit,target,expected", [
    ("creatinine", 1.0, "mg/dL", "umol/L", 88.40),
    ("creatinine", 176.8, "umol/L", "mg/dL", 2.0),
    ("total bilirubin", 1.0, "mg/dL", "umol/L", 17.10),
    ("glucose", 126.0, "mg/dL", "mmol/L", 6.99),
    ("urea", 60.06, "mg/dL", "mmol/L", 10.0),
])
def test_mass_and_substance_concentrations_convert_through_molar_mass(analyte, value, unit, target, expected):
    assert convert(value, unit, target, MATCHING, MOLAR[analyte]) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("value,unit,target,expected", [
    (72, "h", "d", 3.0), (2, "wk", "d", 14.0), (6, "mo", "d", 182.625), (3, "10*9/L", "10*9/L", 3),
    (1500, "/mm3", "10*9/L", 1.5),
])
def test_plain_conversions(value, unit, target, expected):
    assert convert(value, unit, target, MATCHING) == pytest.approx(expected)


@pytest.mark.parametrize("unit,target,molar", [("mg/dL", "umol/L", None), ("U/L", "umol/L", 113.12), ("xyz", "d", None)])
def test_incompatible_or_unknown_units_are_refused(unit, target, molar):
    with pytest.raises(UnitMismatch):
        convert(1.0, unit, target, MATCHING, molar)


@pytest.mark.parametrize("concept", MATCHING.concepts, ids=lambda c: c.id)
def test_every_concept_finds_its_example(concept):
    assert concept in MATCHING.finder.concepts_in(concept.example)


@pytest.mark.parametrize("unit", [u.ucum for u in load_grammars().units])
def test_every_ucum_unit_of_the_grammars_is_understood(unit):
    quantity(1.0, unit, MATCHING)


@pytest.mark.parametrize("rule", [u for u in load_grammars().units if not u.forms], ids=lambda u: u.id)
def test_a_unit_only_records_write_reads_its_example(rule):
    """A unit without forms is never found in criteria; its example is a value in it, as a record writes it."""
    value, unit = rule.example.split(" ", 1)
    assert unit == rule.ucum
    assert quantity(float(value), unit, MATCHING).magnitude == float(value)


def test_units_are_shown_and_roman_categories_spelled_as_the_rule_grammars_say(tmp_path):
    """How a unit is shown (units.jsonl, once per code) and the roman numeral signs (numbers.jsonl) reach the
    matching grammar of the same directory."""
    displayed = [u.ucum for u in load_grammars().units if u.display is not None]
    assert len(displayed) == len(set(displayed))
    assert MATCHING.display_units["umol/L"] == "µmol/L" and MATCHING.category_aliases["Ⅲ"] == "III"
    shutil.copytree(ROOT / "grammars", tmp_path / "g")
    units = tmp_path / "g" / "units.jsonl"
    units.write_text(units.read_text(encoding="utf-8").replace('"display": "µmol/L"', '"display": "micromol/L"'),
                     encoding="utf-8")
    assert load_matching_grammar(tmp_path / "g").display_units["umol/L"] == "micromol/L"


def test_invalid_matching_grammar_is_a_one_line_error(tmp_path):
    shutil.copytree(ROOT / "grammars", tmp_path / "g")
    path = tmp_path / "g" / "matching.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"kind": "condition"', '"kind": "mood"', 1), encoding="utf-8")
    with pytest.raises(GrammarError, match=r"^matching.json: concepts\.0\.kind: "):
        load_matching_grammar(tmp_path / "g")


def test_a_fahrenheit_temperature_converts_only_as_a_body_temperature(parser):
    """°F is read as [degF], not as angle degrees; an affine line of matching.json converts it to °C."""
    rows = [c for criterion in parser.parse_text("Inclusion Criteria:\n1. Fever of 100.4 °F or more\n", "f.txt")
            .sections[0].criteria for c in criterion.constraints]
    assert [(r.comparator, r.value, r.unit) for r in rows] == [(">=", 100.4, "[degF]")]
    assert convert(100.4, "[degF]", "Cel", MATCHING, analyte="body temperature") == pytest.approx(38.0)
    with pytest.raises(UnitMismatch):
        convert(100.4, "[degF]", "Cel", MATCHING)  # without the analyte's line, no factor bridges the scales
