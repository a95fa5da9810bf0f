"""brat standoff in the LCT scheme: reading, scoring our own small fixture, export and round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import SEED, criteria_text
from criteria_parser.lct.brat import (comparator_spans, comparisons, comparisons_of, decode_brat, listing_ann, read_ann,
                                      read_annotation)
from criteria_parser.cli import app
from criteria_parser.errors import InputError
from criteria_parser.lct.scorer import LeafEvaluator, UnitNormalizer, ValueKeys

FIXTURE = Path(__file__).parent / "fixtures" / "lct"


def test_reader_builds_comparisons_with_operator_values_and_units():
    text = (FIXTURE / "NCT00000001.txt").read_text(encoding="utf-8")
    found = comparisons(read_ann("x.ann", (FIXTURE / "NCT00000001.ann").read_text(encoding="utf-8"), text))
    first = found[0]
    assert (first.operator, [v.text for v in first.values], first.temporal_unit) == ("GTEQ", ["18"], "a")
    assert [v.text for v in found[1].values] == ["0", "1"] and found[1].operator is None


@pytest.mark.parametrize("line, message", [
    ("T1\tEq-Value 5 2000\t18", "line 1: span 5-2000 outside the text"),
    ("T1\tEq-Value five six\t18", "line 1: bad entity"),
    ("X1\tsomething", "line 1: unknown annotation 'X1'"),
])
def test_reader_reports_file_and_line_of_a_bad_annotation(line, message):
    with pytest.raises(InputError, match=f"^doc.ann: {message}"):
        read_ann("doc.ann", line + "\n", "Age ≥ 18 years")


def test_one_decoder_keeps_line_breaks_and_names_the_file_and_line_of_a_problem(tmp_path):
    text = "Age \u2265 18 years\r\nNo HIV\rx"  # CRLF and a lone CR, as Chia has: brat offsets count both
    (tmp_path / "doc.txt").write_bytes(text.encode("utf-8"))
    (tmp_path / "doc.ann").write_bytes(b"T1\tEq-Value 6 8\t18\r\nT2\tCondition 19 22\tHIV\n")
    assert decode_brat(tmp_path / "doc.txt") == text
    annotation = read_annotation(tmp_path / "doc.ann", decode_brat(tmp_path / "doc.txt"))
    assert [e.text for e in annotation.entities.values()] == ["18", "HIV"]
    (tmp_path / "bad.ann").write_bytes(b"T1\tEq-Value 6 8\t18\nT2\tCondition six\tHIV\n")
    with pytest.raises(InputError, match=r"bad.ann: line 2: bad entity"):
        read_annotation(tmp_path / "bad.ann", text)
    (tmp_path / "latin.ann").write_bytes("T1\tCondition 0 3\tn\u00e9".encode("cp1252"))
    with pytest.raises(InputError, match=r"latin.ann: not UTF-8 \(byte 18\)"):
        read_annotation(tmp_path / "latin.ann", text)
    with pytest.raises(InputError, match=r"missing.ann: no such file"):
        read_annotation(tmp_path / "missing.ann", text)


def test_scorer_on_own_fixture_gets_every_tuple(parser):
    report = LeafEvaluator(parser).score_corpus(FIXTURE)
    assert report.overall.gold == 8  # "0 or 1" and "III or IV" are one '=' comparison per value
    assert report.overall.full_tuple() == (1.0, 1.0, 1.0)


def test_scorer_counts_a_wrong_comparator_as_detected_but_not_full(parser, tmp_path):
    (tmp_path / "a.txt").write_text("Inclusion Criteria:\n  1. Age > 18 years\n", encoding="utf-8")
    (tmp_path / "a.ann").write_text(
        "T1\tEq-Comparison 29 39\t> 18 years\nT2\tEq-Operator 29 30\t>\nA1\tEq-Operator-Value T2 GTEQ\n"
        "T3\tEq-Value 31 33\t18\nE1\tEq-Comparison:T1 Operator:T2 Value:T3\n", encoding="utf-8")
    report = LeafEvaluator(parser).score_corpus(tmp_path)
    assert report.overall.detection()[2] == 1.0 and report.overall.full == 0
    assert [d.kind for d in report.disagreements] == ["wrong"]
    assert report.by_operator[">"].full_tuple()[:2] == (0.0, 0.0)  # precision counts in the prediction's slice
    assert report.by_operator[">="].detection()[1] == 1.0


def test_units_and_values_normalize_as_written_by_either_side(parser):
    units = UnitNormalizer(parser.grammars)
    assert units.code("years") == units.code("yrs") == "a"
    assert units.code("x109/L") == units.code("10^9/L") == "10*9/L"
    assert units.code("mg / dl") == "mg/dL" and units.code("cigarettes per day") == "{cigarettes}/d"
    assert units.code("upper limit of normal") == "ULN"
    values = ValueKeys(parser.grammars)
    assert [values.key(v) for v in ("1,500", "7,0", "three", "III", "abc")] == ["1500", "7", "3", "III", None]
    assert values.key("Ⅲ") == "III"  # a roman numeral sign (U+2162) is scored as its letters
    assert values.letters("Ⅲ-Ⅳ") == "III-IV"


def _tuples(evaluator, listing, text):
    return sorted((t.line, t.values, t.comparator, t.unit) for c in comparisons_of(listing)
                  for t in [evaluator.predicted_tuple(c, text)])


@pytest.mark.parametrize("text", [
    SEED.read_text(encoding="utf-8"),
    (FIXTURE / "NCT00000001.txt").read_text(encoding="utf-8"),
    criteria_text("1. Body weight 50-90 kg", "2. ASA I-II", "3. No smoking in the past 6 months",
                  "4. Smokes ≥ 10 cigarettes per day", "5. 18 years of age or older"),
])
def test_export_round_trips_what_the_scheme_holds(parser, text):
    listing = parser.parse_text(text, "doc.txt")
    ann = listing_ann(listing, text, comparator_spans(parser.grammars))
    evaluator = LeafEvaluator(parser)
    read_back = [t for c in comparisons(read_ann("doc.ann", ann, text)) for t in evaluator.gold_tuples(c, text)]
    assert sorted((t.line, t.values, t.comparator, t.unit) for t in read_back) == _tuples(evaluator, listing, text)


def test_export_brat_command_writes_a_brat_collection(tmp_path):
    result = CliRunner().invoke(app, ["export", "--format", "brat", str(SEED), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["NCT06633354-listing.ann", "NCT06633354-listing.txt", "annotation.conf"]
    text = (out / "NCT06633354-listing.txt").read_text(encoding="utf-8")
    for line in (out / "NCT06633354-listing.ann").read_text(encoding="utf-8").splitlines():
        if line.startswith("T"):  # brat checks that each entity's text is the text at its offsets
            ident, kind_span, words = line.split("\t")
            _, start, end = kind_span.split()
            assert text[int(start):int(end)] == words


def test_export_brat_refuses_a_non_listing_without_writing(tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_text("", encoding="utf-8")
    result = CliRunner().invoke(app, ["export", "--format", "brat", str(bad), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "empty.txt" in result.output
    assert not (tmp_path / "out").exists()


def test_eval_brat_reports_a_directory_without_annotations(tmp_path):
    result = CliRunner().invoke(app, ["eval", "--brat", str(tmp_path)])
    assert result.exit_code == 2
    assert "no .txt files with .ann annotations" in result.output


def _ann(text: str, events: list[list[tuple[str, str]]]) -> str:
    """LCT standoff for ``text``: each event a list of (role, words), the words found in order; an operator is
    BETWEEN, a time unit of weeks or days carries its attribute."""
    kinds = {"Value": "Eq-Value", "Temporal-Unit": "Eq-Temporal-Unit", "Operator": "Eq-Operator"}
    attributes = {"Operator": ("Eq-Operator-Value", "BETWEEN"), "weeks": ("Eq-Temporal-Unit-Value", "week"),
                  "days": ("Eq-Temporal-Unit-Value", "day")}
    lines, position, count = [], 0, 0
    for number, args in enumerate(events, 1):
        refs, spans = [], []
        for role, words in args:
            start = text.index(words, position)
            position = start + len(words)
            count += 1
            lines.append(f"T{count}\t{kinds[role]} {start} {position}\t{words}")
            name = attributes.get(role if role == "Operator" else words)
            if name:
                lines.append(f"A{count}\t{name[0]} T{count} {name[1]}")
            refs.append(f"{role}:T{count}")
            spans.append((start, position))
        count += 1
        start, end = spans[0][0], spans[-1][1]
        lines.append(f"T{count}\tEq-Comparison {start} {end}\t{text[start:end]}")
        lines.append(f"E{number}\tEq-Comparison:T{count} " + " ".join(refs))
    return "\n".join(lines) + "\n"


def test_days_lct_marks_with_their_own_unit_are_part_of_the_weeks_amount(parser):
    """LCT marks "35 weeks 2 days" as two values, each with its time unit, and "between [28 weeks 0 days] and [33
    weeks 5 days]" as two comparisons: the scorer reads one amount and one range, as the parser does."""
    evaluator = LeafEvaluator(parser)
    text = "Delivery before 35 weeks 2 days; gestation between 28 weeks 0 days and 33 weeks 5 days; at 30 + 4 weeks"
    ann = _ann(text, [
        [("Value", "35"), ("Temporal-Unit", "weeks"), ("Value", "2"), ("Temporal-Unit", "days")],
        [("Operator", "between"), ("Value", "28"), ("Temporal-Unit", "weeks"), ("Value", "0"),
         ("Temporal-Unit", "days")],
        [("Value", "33"), ("Temporal-Unit", "weeks"), ("Value", "5"), ("Temporal-Unit", "days")],
        [("Value", "30"), ("Value", "4"), ("Temporal-Unit", "weeks")],
    ])
    tuples = [t for _, found in evaluator.lct_gold(read_ann("t.ann", ann, text), text) for t in found]
    assert [(t.comparator, t.values, t.unit) for t in tuples] == [
        ("=", ("35.2857",), "wk"), ("between", ("28", "33.7143"), "wk"), ("=", ("30.5714",), "wk")]
