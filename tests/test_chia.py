"""Chia's value spans read as scored comparisons (criteria_parser.lct.chia), on spans and a fixture of our own."""

from __future__ import annotations

from pathlib import Path

import pytest

from criteria_parser.lct.brat import read_ann
from criteria_parser.lct.scorer import LeafEvaluator

FIXTURE = Path(__file__).parent / "fixtures" / "chia"


@pytest.fixture(scope="module")
def evaluator(parser):
    return LeafEvaluator(parser)


@pytest.mark.parametrize("span, expected", [
    ("18 years or older", [(">=", ("18",), "a")]),
    ("<1.5 X ULN", [("<", ("1.5",), "ULN")]),
    ("< 2.5X ULN", [("<", ("2.5",), "ULN")]),
    ("within 6 months", [("<=", ("6",), "mo")]),
    ("in the past 3 weeks", [("<=", ("3",), "wk")]),
    ("last three months", [("<=", ("three",), "mo")]),
    ("recent 3 months", [("<=", ("3",), "mo")]),
    ("during the first 12 hours of symptom onset", [("<=", ("12",), "h")]),  # as LCT marks "in the first 48 hours"
    ("in the 6 weeks prior to Visit 1", [("=", ("6",), "wk")]),
    ("at least six weeks before surgery", [(">=", ("six",), "wk")]),
    ("18-65 years", [("between", ("18", "65"), "a")]),
    ("between 7.1% and 11.0%", [("between", ("7.1", "11.0"), "%")]),
    ("4 to < 17 years", [(">=", ("4",), "a"), ("<", ("17",), "a")]),
    ("1 day to less than 18 years", [(">=", ("1",), "d"), ("<", ("18",), "a")]),  # a strict high end in words
    ("18 years of or older", [(">=", ("18",), "a")]),  # "[18 years of] age [or older]": "age" a Person
    ("between 3 days and 4 weeks", [(">=", ("3",), "d"), ("<=", ("4",), "wk")]),  # ends in units of their own
    ("6 months to 5 years", [(">=", ("6",), "mo"), ("<=", ("5",), "a")]),
    ("> 0.5 cm and < 2 cm", [(">", ("0.5",), "cm"), ("<", ("2",), "cm")]),
    ("I, II or III", [("=", ("I",), None), ("=", ("II",), None), ("=", ("III",), None)]),
    ("greater than three (3) months", [(">", ("three",), "mo")]),
    ("< 50 mg/dL (2.7 mmol/L)", [("<", ("50",), "mg/dL"), ("<", ("2.7",), "mmol/L")]),
    ("<60 mL/min/1.73 m2", [("<", ("60",), "mL/min/{1.73_m2}")]),
    (">160/100mmHg", [(">", ("160",), "mm[Hg]"), (">", ("100",), "mm[Hg]")]),  # a pair: one tuple per number
    ("≥ 135/85 mm Hg", [(">=", ("135",), "mm[Hg]"), (">=", ("85",), "mm[Hg]")]),
    ("10 - 20mg/d", [("between", ("10", "20"), "mg/d")]),
    ("between the age of 18 and 45 years old", [("between", ("18", "45"), "a")]),
    ("in the prior 2 years", [("<=", ("2",), "a")]),
    ("between 1g to 2g a day", [("between", ("1", "2"), "g/d")]),  # the high end's unit is the low end's per day
    ("during the 7-day run-in", [("=", ("7",), "d")]),  # a unit joined by a hyphen
    ("140/90 or higher", [(">=", ("140",), None), (">=", ("90",), None)]),  # the words after a pair are the pair's
    ("within one month prior to initiation of peginterferon alfa-2a", [("<=", ("one",), "mo")]),  # a name's digit
    ("<=12 international units per liter (IU/L)", [("<=", ("12",), "U/L")]),  # a unit spelled with "per"
    ("<U+2267>250µm", [(">=", ("250",), "um")]),  # a code point Chia spells out: "≧"
    ("below or equal to 8", [("<=", ("8",), None)]),  # the grammar's comparator phrases in words
    ("at least 18 and not older than 65 years", [(">=", ("18",), "a"), ("<=", ("65",), "a")]),  # not "older than"
    ("Greater than or 18 years", [(">=", ("18",), "a")]),  # a lost "equal to", as the parser repairs it
    ("50 cells/mm3or less", [("<=", ("50",), "/mm3")]),  # a unit touching the word after it
    ("stage <U+2162>B", []),  # its digits are no value
    ("at Visit 2", []),
    ("positive", []),
])
def test_span_mapping(evaluator, span, expected):
    """Values as written (the scorer reads "three" as 3), the operator as written, the unit as its UCUM code."""
    found = evaluator.chia.read(span, ((0, len(span)),))
    assert [(f.comparator, f.values,
             evaluator.units.known(f.unit) if f.unit else None) for f in found] == expected


def test_unit_or_scale_outside_the_span_is_read(evaluator):
    text = "NYHA class III-IV; SBP > 160 mmHg"
    found = evaluator.chia.read(text, ((11, 17),)) + evaluator.chia.read(text, ((23, 28),))
    assert [(f.comparator, f.values, f.unit) for f in found] == [("between", ("III", "IV"), "class"),
                                                               (">", ("160",), "mmHg")]


def test_words_outside_the_span_that_decide_its_reading(evaluator):
    # "between" before a span of "18 and 45"; a scale word before a comparator or before the values listed earlier
    text = "aged between 21 and 60 years; Grade ≥ 2 neuropathy; CCS class I, II or III"
    spans = [(13, 28), (36, 39), (65, 67), (71, 74)]
    found = [f for span in spans for f in evaluator.chia.read(text, (span,))]
    assert [(f.comparator, f.values, f.unit) for f in found] == [
        ("between", ("21", "60"), "years"), (">=", ("2",), "Grade"), ("=", ("II",), "class"), ("=", ("III",), "class")]


def test_the_first_value_of_a_pair_takes_the_unit_after_the_pair(evaluator):
    """Chia marks a blood pressure's first value alone ("high blood pressure ([>160]/100mmHg)"): it is in mmHg."""
    text = "high blood pressure (>160/100mmHg) or BP ≥ 135/85 mm Hg"
    found = evaluator.chia.read(text, ((21, 25),)) + evaluator.chia.read(text, ((41, 46),))
    assert [(f.comparator, f.values, f.unit) for f in found] == [(">", ("160",), "mmHg"), (">=", ("135",), "mm Hg")]


def test_a_bound_before_another_shares_its_unit_within_a_span_and_across_spans(evaluator):
    """The unit written once after two bounds is both bounds' ("≥ 18 and < 70 years"; "< 3.5" and "> 5.5 mEq/L"
    marked apart), as the parser reads them; not across words that are a unit we do not know ("5 sqcm")."""
    within = evaluator.chia.read("≥ 18 and < 70 years", ((0, 19),))
    assert [(f.comparator, f.values, f.unit) for f in within] == [(">=", ("18",), "years"), ("<", ("70",), "years")]
    text = "Potassium < 3.5 or > 5.5 mEq/L\nulcer area between 0.5 and 5 sqcm, and more than 4 weeks old\n"
    ann = ("T1\tValue 10 15\t< 3.5\nT2\tValue 19 30\t> 5.5 mEq/L\n"
           "T3\tValue 42 64\tbetween 0.5 and 5 sqcm\nT4\tTemporal 70 91\tmore than 4 weeks old\n")
    tuples = evaluator.chia_tuples(read_ann("t.ann", ann, text), text)
    assert [(t.values, t.unit) for t in tuples] == [(("3.5",), "meq/L"), (("5.5",), "meq/L"),
                                                    (("0.5", "5"), None), (("4",), "wk")]


def test_a_span_restating_the_one_before_in_brackets_takes_its_comparator(evaluator):
    """Chia marks "[< 64 mmol/mol] ([8.0%])" as two spans: the restated limit is < 8.0% too, as the parser reads it;
    a span with a comparator of its own keeps it, and one not in brackets states "="."""
    text = "HbA1c < 64 mmol/mol (8.0%); weight over 50 kg (≥ 110 lbs); glucose ≤ 7 mmol/L, 126 mg/dL"
    ann = ("T1\tValue 6 19\t< 64 mmol/mol\nT2\tValue 21 25\t8.0%\nT3\tValue 35 45\tover 50 kg\n"
           "T4\tValue 47 56\t≥ 110 lbs\nT5\tValue 67 77\t≤ 7 mmol/L\nT6\tValue 79 88\t126 mg/dL\n")
    tuples = evaluator.chia_tuples(read_ann("t.ann", ann, text), text)
    assert [(t.comparator, t.values) for t in tuples] == [("<", ("64",)), ("<", ("8",)), (">", ("50",)),
                                                          (">=", ("110",)), ("<=", ("7",)), ("=", ("126",))]


def test_a_range_written_high_end_first_is_scored_low_end_first(evaluator):
    text = "RASS between 0 and -4"
    tuples = evaluator.chia_tuples(read_ann("t.ann", "T1\tValue 5 21\tbetween 0 and -4\n", text), text)
    assert [(t.comparator, t.values) for t in tuples] == [("between", ("-4", "0"))]


def test_discontinuous_span_reads_its_pieces_joined(evaluator):
    text = "greater than or equal to 1.4 mg/dL"
    found = evaluator.chia.read(text, ((0, 12), (25, 34)))
    assert [(f.start, f.comparator, f.values) for f in found] == [(25, ">", ("1.4",))]
    # Chia's ages: "18 [years] or older", "years" a Person of its own; the unit after the number's piece counts
    found = evaluator.chia.read("18 years or older", ((0, 2), (9, 17)))
    assert [(f.comparator, f.values, f.unit) for f in found] == [(">=", ("18",), "years")]


def test_fixture_scores_every_value_and_skips_unmodeled_criteria(evaluator):
    report = evaluator.score_corpus(FIXTURE)
    assert report.documents == 1
    # CR, LF and CRLF all end lines; the trial inside Non-query-able text is scored on neither side
    assert report.overall.gold == 6
    assert report.overall.full_tuple() == (1.0, 1.0, 1.0), [(d.gold, d.predicted) for d in report.disagreements]


def test_eval_brat_scores_chia_values_per_part():
    import json

    from typer.testing import CliRunner

    from criteria_parser.cli import app

    result = CliRunner().invoke(app, ["eval", "--brat", str(FIXTURE), "--part", "tune", "--part", "held", "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)["comparisons"]
    assert (scores["tune"]["documents"], scores["held"]["documents"]) == (1, 0)  # NCT00000002 hashes to tune
    assert scores["tune"]["overall"]["full_tuple"]["f1"] == 1.0
