"""The one phrase matcher and the one clause splitter (grammar/phrases.py, grammar/clauses.py)."""

from __future__ import annotations

import re

import pytest

from criteria_parser.grammar.clauses import clause_around
from criteria_parser.grammar.loader import load_grammars
from criteria_parser.grammar.phrases import phrase_regex

GRAMMARS = load_grammars()


@pytest.mark.parametrize("phrase,text,found", [
    ("myocardial infarction", "history of myocardial\n   infarction", "myocardial\n   infarction"),
    ("myocardial infarction", "MYOCARDIAL  INFARCTION", "MYOCARDIAL  INFARCTION"),
    ("stroke", "strokes", None),  # whole words only
    ("anti-", "anti-cancer", "anti-"),  # a phrase ending in a mark needs no boundary after it
    (". ", "1.5 mg. Age", ". "),  # a space at the edge must stand in the text
    (". ", "e.g.x", None),
])
def test_one_phrase_matcher(phrase, text, found):
    match = phrase_regex(phrase).search(text)
    assert (match.group() if match else None) == found


def clauses(text: str) -> list[str]:
    """The clauses of ``text`` its words stand in, in order, without the spaces around them."""
    found = [clause_around(GRAMMARS, text, word.start()) for word in re.finditer(r"\S+", text)]
    return [text[start:end].strip() for start, end in dict.fromkeys(found)]


def test_clause_break_cue_splits_its_example():
    rule = next(r for r in GRAMMARS.cues if r.cue == "clause_break")
    assert clauses(rule.example) == ["creatinine ≤ 1.5 mg/dL", "no history of stroke", "Age ≥ 18 years"]


@pytest.mark.parametrize("text", [
    "ASA I, II or III", "bilirubin ≤ 1.5 mg/dL", "end.",
    pytest.param("e.g. a stroke", marks=pytest.mark.xfail(reason="an abbreviation's full stop before a space ends a "
                                                          "clause", strict=True)),
])
def test_commas_and_decimal_points_do_not_break_a_clause(text):
    assert clause_around(GRAMMARS, text, 0) == (0, len(text))
