"""Grammar files: the loader's validation, and every rule matching its own example."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from conftest import criteria_text
from criteria_parser.pipeline.comparators import CueFinder
from criteria_parser.pipeline.quantities import QuantityFinder
from criteria_parser.errors import GrammarError
from criteria_parser.export.flat import flat_rows
from criteria_parser.grammar import loader
from criteria_parser.grammar.loader import load_grammars
from criteria_parser.parser import Parser

GRAMMARS = load_grammars()


@pytest.fixture()
def grammar_copy(tmp_path: Path) -> Path:
    with resources.as_file(resources.files("criteria_parser.grammars")) as source:
        shutil.copytree(source, tmp_path / "g")
    return tmp_path / "g"


def _append(path: Path, line: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, line]) + "\n", encoding="utf-8")
    return len(lines) + 1


BAD_LINES = [
    # file, line appended, message after "file:line: "
    ("numbers.jsonl", '{"id": "num.extra", "words": ["x"], "value": 1, "example": "x", "colour": "red"}',
     r"colour: Extra inputs are not permitted"),
    ("anchors.jsonl", '{"id": "num.four", "name": "x", "phrases": ["x"], "example": "x"}',
     r"duplicate rule id 'num.four' \(first in numbers.jsonl:\d+\)"),
    ("units.jsonl", '{"id": "unit.broken", ', r"not valid JSON"),
    ("lexicon.jsonl", '{"id": "lex.bad", "name": "bad", "category": "lab", "synonyms": ["bad"], '
     '"plausible": {"mg/dL": [5, 1]}, "example": "bad"}',
     r"plausible: Value error, plausible range for mg/dL has low > high"),
]


@pytest.mark.parametrize("name,line,message", BAD_LINES, ids=["unknown key", "duplicate id", "broken JSON",
                                                              "bad plausible range"])
def test_a_bad_line_is_an_error_naming_file_and_line(grammar_copy, name, line, message):
    number = _append(grammar_copy / name, line)
    with pytest.raises(GrammarError, match=rf"^{name}:{number}: {message}"):
        load_grammars(grammar_copy)


def test_missing_file_is_an_error(grammar_copy):
    (grammar_copy / "cues.jsonl").unlink()
    with pytest.raises(GrammarError, match="cues.jsonl: grammar file missing"):
        load_grammars(grammar_copy)


def test_a_grammar_directory_is_read_once_per_process(grammar_copy, monkeypatch):
    """The parser and each of its five components share one reading of ``--grammars DIR``."""
    reads = []
    real = loader._load
    monkeypatch.setattr(loader, "_load", lambda directory: reads.append(directory) or real(directory))
    parser = Parser(grammar_copy)
    assert reads == [grammar_copy.resolve()]
    assert load_grammars(grammar_copy / ".." / grammar_copy.name) is parser.grammars  # one key per directory


def test_an_edit_on_disk_is_seen_by_the_next_process(grammar_copy):
    code = "import sys; from criteria_parser.grammar.loader import load_grammars; print(load_grammars(sys.argv[1]).version)"

    def version() -> str:
        return subprocess.run([sys.executable, "-c", code, str(grammar_copy)], capture_output=True, text=True,
                              check=True).stdout.strip()

    before = version()
    listing = grammar_copy / "listing.json"
    listing.write_text(listing.read_text(encoding="utf-8").replace(f'"{before}"', '"edited"', 1), encoding="utf-8")
    assert (before, version()) == (GRAMMARS.version, "edited")


def test_lexicon_plausible_units_are_known_units():
    known = {u.ucum for u in GRAMMARS.units}
    for entry in GRAMMARS.lexicon:
        assert set(entry.plausible) <= known, entry.id
        assert entry.unit is None or entry.unit in known, entry.id


def test_unit_repair_candidates_are_known_units():
    known = {u.ucum for u in GRAMMARS.units}
    for repair in GRAMMARS.unit_repairs:
        assert set(repair.candidates) <= known, repair.id


CUE_RULES = [r for r in GRAMMARS.comparators + GRAMMARS.time_relations + GRAMMARS.anchors
             + [c for c in GRAMMARS.cues if c.cue in ("alternative", "exception", "any_children")]]


@pytest.mark.parametrize("rule", CUE_RULES, ids=lambda r: r.id)
def test_cue_rule_matches_its_example(rule):
    assert rule.id in {cue.rule for cue in CueFinder(GRAMMARS).find(rule.example)}


QUANTITY_RULES = [u for u in GRAMMARS.units if u.forms] + GRAMMARS.unit_repairs + GRAMMARS.numbers + [
    r for r in GRAMMARS.relative if r.role == "reference"]


@pytest.mark.parametrize("rule", QUANTITY_RULES, ids=lambda r: r.id)
def test_quantity_rule_matches_its_example(rule):
    found = set()
    for quantity in QuantityFinder(GRAMMARS).find(rule.example):
        found.add(quantity.unit.rule if quantity.unit else None)
        found.add(quantity.reference.rule if quantity.reference else None)
        found.update(flag.rule for flag in quantity.flags)
    assert rule.id in found


NUMERALS = [(numeral, rule.value) for rule in GRAMMARS.numbers for numeral in rule.numerals]


@pytest.mark.parametrize("numeral,value", NUMERALS, ids=[n for n, _ in NUMERALS])
def test_a_roman_numeral_of_numbers_jsonl_reads_as_its_value(numeral, value):
    found = QuantityFinder(GRAMMARS).find(f"NYHA class {numeral} heart failure")
    assert [(q.value, q.category) for q in found] == [(value, numeral)]


def test_comparator_signs_come_from_comparators_jsonl(parser, grammar_copy):
    """The tokenizer splits the one-character comparator phrases off a number, and reads a sign added to the
    grammar the same way."""
    assert [t.text for t in parser.nlp.make_doc("ALT≤3 or AST＞5")] == ["ALT", "≤", "3", "or", "AST", "＞", "5"]
    path = grammar_copy / "comparators.jsonl"
    path.write_text(path.read_text(encoding="utf-8").replace('"phrases": ["≤", "<="]', '"phrases": ["≤", "<=", "⋜"]'),
                    encoding="utf-8")
    assert [t.text for t in parser.nlp.make_doc("ALT⋜3")] == ["ALT⋜3"]
    assert [t.text for t in Parser(grammar_copy).nlp.make_doc("ALT⋜3")] == ["ALT", "⋜", "3"]


@pytest.mark.parametrize("entry", GRAMMARS.lexicon, ids=lambda e: e.id)
def test_lexicon_entry_matches_its_example(parser, entry):
    doc = parser.nlp(entry.example)
    assert entry.id in {m.entry.id for m in doc._.cp_mentions}


#: Joiner words that are data: what each rule's example reads as with the rule, as (comparator, value,
#: value_high, unit, relative_to, qualifier) of each constraint; without the rule it reads otherwise.
JOINER_READINGS = {
    ("cues.jsonl", "cue.range"): [("between", 18.0, 65.0, "a", None, None)],
    ("cues.jsonl", "cue.range_opener"): [("between", 18.0, 65.0, "a", None, None)],
    ("cues.jsonl", "cue.method_lead"): [(">", 5.0, None, "%", None, "flow cytometry")],
    ("cues.jsonl", "cue.value_filler"): [(">=", 12.0, None, "wk", None, None)],
    ("relative.jsonl", "rel.times"): [("=", 3.0, None, None, "ULN", None)],
    ("cues.jsonl", "cue.listing"): [("=", 0.0, None, None, None, None), ("=", 1.0, None, None, None, None)],
    ("cues.jsonl", "cue.per"): [("=", 10.0, None, "{cigarettes}/d", None, None)],
    ("cues.jsonl", "cue.bound_note"): [("between", 50.0, 90.0, "kg", None, None)],
    ("cues.jsonl", "cue.kind_name"): [],  # without it, "Type I or II diabetes" reads as two categories
    ("cues.jsonl", "cue.kind_name.factor"): [],  # without it, "factors II,V,VII and X" reads as categories
    ("cues.jsonl", "cue.kind_head"): [],  # without it, "class I or III antiarrhythmic drugs" reads as categories
    ("cues.jsonl", "cue.kind_word"): [],  # without it, "class I and class II antibodies" reads as a category
    ("cues.jsonl", "cue.scale_opener"): [(">=", 4.0, None, None, None, None)],  # without: also "0-10" as a range
    ("cues.jsonl", "cue.group_lead"): [(">=", 60.0, None, "kg", None, None), (">=", 132.0, None, "[lb_av]", None, None),
                                       (">=", 48.0, None, "kg", None, None)],  # without: "48 kg" is "="
    ("cues.jsonl", "cue.group_joiner"): [(">=", 60.0, None, "kg", None, None), (">=", 132.0, None, "[lb_av]", None, None),
                                         (">=", 48.0, None, "kg", None, None)],  # without: "48 kg" is "="
    ("cues.jsonl", "cue.measure_end"): [(">=", 5.0, None, "a", None, None)],  # without: "=" 5
    ("cues.jsonl", "cue.subunit_joiner"): [("=", 23 + 6 / 7, None, "wk", None, None)],  # without: 23 wk and 6 d
    ("relative.jsonl", "rel.filler"): [("=", 2.5, None, None, "ULN", None)],
    ("relative.jsonl", "rel.higher_than"): [(">", 2.0, None, None, "ULN", None)],
}


@pytest.mark.parametrize("name,rule_id", JOINER_READINGS, ids=[rule_id for _, rule_id in JOINER_READINGS])
def test_joiner_rule_is_what_reads_its_example(parser, grammar_copy, name, rule_id):
    """Range joiners and openers, value fillers, listed values, compound units, noted bounds, methods' words and
    ULN multipliers and fillers are read with grammars/ words, not the code's."""
    rule = next(r for r in GRAMMARS.rules() if r.id == rule_id)
    text = criteria_text("1. " + rule.example)

    def readings(with_parser: Parser) -> list[tuple]:
        rows = flat_rows(with_parser.parse_text(text, "case.txt"))
        return [(r["comparator"], r["value"], r["value_high"], r["unit"], r["relative_to"], r["qualifier"], r["rule"])
                for r in rows]

    path = grammar_copy / name
    kept = [line for line in path.read_text(encoding="utf-8").splitlines(keepends=True) if f'"{rule_id}"' not in line]
    path.write_text("".join(kept), encoding="utf-8")
    found = readings(parser)
    assert [reading[:6] for reading in found] == JOINER_READINGS[name, rule_id]
    assert readings(Parser(grammar_copy)) != found
