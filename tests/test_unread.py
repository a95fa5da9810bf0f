"""What a criterion asks that no check reads (issue 11; issue 12: the list's separators and clause ends are the
joining cues of grammars/cues.jsonl, not a regex of the code's)."""

from __future__ import annotations

import pytest

from criteria_parser.grammar.loader import load_grammars
from criteria_parser.grammar.matching import load_matching_grammar
from criteria_parser.match.guards import Guards
from criteria_parser.match.unread import LIST_CUES

GRAMMARS = load_grammars()
UNREAD = Guards(GRAMMARS, load_matching_grammar()).unread


def unread_items(text: str, read: list[str]) -> list[tuple[str, bool]]:
    """The unread items of ``text`` when the words ``read`` are read."""
    return UNREAD.list_items(text, [(text.index(word), text.index(word) + len(word)) for word in read])


def test_list_end_cue_keeps_the_heading_out_of_the_list():
    rule = next(r for r in GRAMMARS.cues if r.id == "cue.list_end")
    assert unread_items(rule.example, ["HIV"]) == [("hepatitis B", False), ("tuberculosis", False)]


def test_nor_separates_items_that_no_conjunction_joins():
    rule = next(r for r in GRAMMARS.cues if r.id == "cue.list_separator.nor")
    assert unread_items(rule.example, ["pregnant"]) == [("breastfeeding", False)]


@pytest.mark.parametrize("cue, phrase", [(rule.cue, phrase) for rule in GRAMMARS.cues if rule.cue in LIST_CUES
                                         for phrase in rule.phrases])
def test_every_joining_cue_separates_list_items(cue, phrase):
    """Each phrase of the joining cues separates two items, with a comma before it or not; only a conjunction
    ("and") joins them so that both must hold."""
    for text in (f"HIV {phrase} tuberculosis", f"HIV, {phrase} tuberculosis"):
        assert unread_items(text, ["HIV"]) == [("tuberculosis", cue == "conjunction")], text


@pytest.mark.parametrize("text, items", [
    ("HIV and / or tuberculosis", [("tuberculosis", False)]),  # spaces around the slash of "and/or"
    ("HIV; tuberculosis", []),  # a clause break ends the list
    ("HIV. Tuberculosis", []),
    ("HIV, hepatitis B.", [("hepatitis B", False)]),  # the full stop ending the text is no part of the last item
    ("HIV (tuberculosis, asthma)", []),  # a parenthesis is a clause of its own
])
def test_list_items_within_a_clause(text, items):
    assert unread_items(text, ["HIV"]) == items
