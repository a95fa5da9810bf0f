"""The seed listing, end to end: gold F1 = 1.0 on every field, and its hard cases one by one."""

from __future__ import annotations

import pytest

from conftest import ROOT, SEED
from criteria_parser.curation.scoring import compare, score_gold_corpus, load_gold
from criteria_parser.export.flat import flat_rows

GOLD = SEED.with_name("NCT06633354-listing.gold.json")


def test_gold_f1_is_one_on_every_field(parser):
    report = score_gold_corpus(ROOT / "corpora", parser)
    failing = {field: round(score.f1, 3) for field, score in report.scores.items() if score.f1 != 1.0}
    assert failing == {}, report.disagreements[:10]
    assert report.scores["kind"].tp == 19  # every gold constraint found


def _row(listing, section, criterion, subject):
    rows = [r for r in flat_rows(listing) if (r["section"], r["criterion"], r["subject"]) == (section, criterion, subject)]
    assert len(rows) == 1, rows
    return rows[0]


def _flag_kinds(row):
    return sorted(f["kind"] for f in row["flags"])


HARD_CASES = [
    # section, criterion, subject: comparator, value, value_high, unit, relative_to, kind, flags
    ("inclusion", "5", "creatinine", "<=", 176.8, None, "umol/L", None, "threshold", ["unit_repair"]),
    ("inclusion", "5", "total bilirubin", "<=", 51, None, "umol/L", None, "threshold", ["unit_repair"]),
    ("inclusion", "5", "ALT", "<=", 3, None, None, "ULN", "relative_limit", []),
    ("inclusion", "5", "AST", "<=", 3, None, None, "ULN", "relative_limit", []),
    ("inclusion", "6", "LVEF", ">=", 50, None, "%", None, "threshold", []),
    ("inclusion", "3", "CD5 expression", ">", 90, None, "%", None, "threshold", []),
    ("inclusion", "7", "SpO2", ">=", 92, None, "%", None, "threshold", ["postfix_comparator"]),
    ("inclusion", "9", "ECOG", "between", 0, 2, None, None, "range", []),
    ("inclusion", "2.2", "complete remission", "<=", 12, None, "mo", None, "time_window", []),
    ("inclusion", "8", "life expectancy", ">=", 12, None, "wk", None, "threshold", []),
    ("inclusion", "10", "contraception", ">=", 6, None, "mo", None, "time_window", []),
    ("exclusion", "6.1", "systemic corticosteroids", "<=", 72, None, "h", None, "time_window", ["inherited"]),
    ("exclusion", "6.1", "prednisone", "<", 10, None, "mg/d", None, "dose", []),
    ("exclusion", "6.3", "systemic chemotherapy", "<=", 2, None, "wk", None, "time_window", ["implicit_comparator", "inherited"]),
    ("exclusion", "6.4", "radiotherapy", "<=", 4, None, "wk", None, "time_window", ["implicit_comparator", "inherited", "number_word"]),
    ("exclusion", "7", "proliferation rate", "<", 5, None, None, "fold", "relative_limit", ["typo"]),
]


@pytest.mark.parametrize("section,criterion,subject,comparator,value,high,unit,relative,kind,flags", HARD_CASES)
def test_hard_case(seed_listing, section, criterion, subject, comparator, value, high, unit, relative, kind, flags):
    row = _row(seed_listing, section, criterion, subject)
    assert (row["comparator"], row["value"], row["value_high"], row["unit"], row["relative_to"], row["kind"]) == (
        comparator, value, high, unit, relative, kind)
    assert _flag_kinds(row) == flags


def test_blasts_are_alternatives_with_qualifiers(seed_listing):
    rows = [r for r in flat_rows(seed_listing) if r["subject"] == "bone marrow blasts"]
    assert [(r["comparator"], r["value"], r["qualifier"]) for r in rows] == [(">", 5, "morphology"), (">", 1, "flow cytometry")]
    assert rows[0]["group"] == rows[1]["group"]  # "and/or": either holds
    assert rows[0]["flags"][0]["read"] == "(protolychic + larvae)"  # not understood, kept as text
    assert "(protolychic + larvae)" in rows[0]["subject_text"]


def test_alt_and_ast_must_both_hold(seed_listing):
    alt = _row(seed_listing, "inclusion", "5", "ALT")
    ast = _row(seed_listing, "inclusion", "5", "AST")
    assert alt["group"] != ast["group"]
    assert alt["start"] == ast["start"]  # one written value serves both subjects


def test_prednisone_is_an_exception_not_an_exclusion(seed_listing):
    row = _row(seed_listing, "exclusion", "6.1", "prednisone")
    assert row["role"] == "exception"
    steroid = _row(seed_listing, "exclusion", "6.1", "systemic corticosteroids")
    assert steroid["role"] == "condition"
    criterion = next(c for s, c in seed_listing.walk() if s.kind == "exclusion" and c.label == "6.1")
    assert criterion.exceptions[0].text.startswith("except glucocorticoid physiological replacement therapy")


def test_time_windows_name_direction_and_anchor(seed_listing):
    after = _row(seed_listing, "inclusion", "10", "contraception")
    assert (after["direction"], after["anchor"]) == ("after", "last cell infusion")
    before = _row(seed_listing, "exclusion", "6.2", "small molecule targeted therapy")
    assert (before["direction"], before["anchor"]) == ("before", "infusion")
    inherited = next(f for f in before["flags"] if f["kind"] == "inherited")
    text = SEED.read_text(encoding="utf-8")
    assert text[inherited["start"]:inherited["end"]] == "before infusion"  # the parent's words, in the file


def test_every_span_points_at_its_words(seed_listing):
    text = SEED.read_text(encoding="utf-8")
    for section, criterion, constraint in seed_listing.constraints():
        assert text[constraint.text_start:constraint.text_end] == constraint.text
        assert constraint.text_start <= constraint.start < constraint.end <= constraint.text_end
        for flag in constraint.flags:
            assert text[flag.start:flag.end] == flag.read
    for section, criterion in seed_listing.walk():
        assert text[criterion.start:criterion.end] == criterion.text


def test_any_of_the_following_lists(seed_listing):
    logic = {(s.kind, c.label): c.logic for s, c in seed_listing.walk() if c.children}
    assert logic == {("inclusion", "2"): "any", ("exclusion", "6"): "any"}


def test_criteria_tree_labels(seed_listing):
    inclusion, exclusion = seed_listing.sections
    assert [c.label for c in inclusion.criteria] == [str(i) for i in range(1, 12)]
    assert [c.label for c in inclusion.criteria[1].children] == ["2.1", "2.2", "2.3", "2.c"]
    assert [c.label for c in exclusion.criteria[5].children] == ["6.1", "6.2", "6.3", "6.4"]
    assert exclusion.criteria[6].text.endswith("co-stimulation\n\n    signal;")  # wrapped over a blank line


def test_trial_information(seed_listing):
    trial = seed_listing.trial
    assert (trial.nct_id, trial.sponsor, trial.status, trial.sex, trial.phase) == (
        "NCT06633354", "Zhejiang University", "Recruiting", "All", "N/A")
    assert trial.conditions == ["T-Acute Lymphoblastic Leukemia"]
    assert trial.title == "Targeting CD5 CAR-T Cells in the Treatment of r/r CD5+ T-ALL"


def test_eval_notices_a_wrong_unit(seed_listing):
    gold = load_gold(GOLD)
    broken = seed_listing.model_copy(deep=True)
    creatinine = next(c for _, _, c in broken.constraints() if c.subject == "creatinine")
    creatinine.unit = "mmol/L"
    result = compare(broken, gold, "seed")
    assert result.scores["unit"].fp == 1 and result.scores["unit"].fn == 1
    assert result.scores["value"].f1 == 1.0
    unit, = result.disagreements
    assert (unit.field, unit.gold) == ("unit", "umol/L")


def test_eval_counts_a_missed_constraint_against_every_field(seed_listing):
    gold = load_gold(GOLD)
    broken = seed_listing.model_copy(deep=True)
    criterion = next(c for _, c in broken.walk() if c.label == "9")
    criterion.constraints = []
    result = compare(broken, gold, "seed")
    assert result.scores["comparator"].fn == 1
    assert result.scores["value"].fn == 1
    assert result.scores["comparator"].recall < 1.0
