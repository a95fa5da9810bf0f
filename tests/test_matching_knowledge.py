"""The matcher's knowledge kept in grammars/matching.json: each piece's example read as the grammar says."""

from __future__ import annotations

import pytest
from json_logic import jsonLogic

from conftest import criteria_text
from criteria_parser.grammar.loader import load_grammars
from criteria_parser.grammar.matching import load_matching_grammar
from criteria_parser.match.plan import Compare, Negated, TreatmentWindow, Unknown
from criteria_parser.match.compiler import compile_listing

GRAMMARS, MATCHING = load_grammars(), load_matching_grammar()


def checks(parser, line: str) -> list:
    """The checks of one inclusion criterion's text."""
    plan = compile_listing(parser.parse_text(criteria_text("1. " + line)), GRAMMARS, MATCHING)
    return [c.check for c in plan.criteria]


def test_a_negation_reaches_as_far_as_its_context_rule_says(parser):
    """The matcher reads negation from the ConText rules (grammars/context.jsonl): "no" reaches its max_scope."""
    (rule,) = [r for r in GRAMMARS.context if r.id == "ctx.neg.no"]
    assert isinstance(checks(parser, "No documented history of ischemic stroke")[0], Negated)
    beyond = "No signs in the records of any of the earlier years of stroke"
    assert len(beyond.split()) - 2 > rule.max_scope
    assert not isinstance(checks(parser, beyond)[0], Negated)
    # a window's negation is its constraint's (model 2.1): the cue reaches the words the window bounds
    window = checks(parser, "No signs of stroke in the records of the last two years")[0]
    assert isinstance(window, Negated) and window.cue == "No"
    # a window whose bounded words are another condition than the one named is not that one's (issue 11)
    assert isinstance(checks(parser, "No signs in the records of the last two years of stroke")[0], Unknown)


def test_a_dose_without_a_window_is_a_treatment_ongoing_at_the_screening(parser):
    (check,) = checks(parser, MATCHING.ongoing.example)
    assert isinstance(check, TreatmentWindow) and check.dose is not None
    assert (check.comparator, check.days, check.anchor) == (MATCHING.ongoing.comparator, MATCHING.ongoing.days,
                                                            MATCHING.screening_anchor)


def test_the_age_subject_is_the_one_the_parser_gives_an_age_limit(parser):
    (criterion,) = parser.parse_text(criteria_text("1. " + MATCHING.age.example)).sections[0].criteria
    (constraint,) = criterion.constraints
    assert (constraint.subject, constraint.unit) == (MATCHING.age.subject, MATCHING.age.unit)


@pytest.mark.parametrize("written", sorted(MATCHING.relative_references))
def test_each_relative_reference_is_read_and_checked(parser, written):
    reference = MATCHING.relative_references[written]
    (check,) = checks(parser, reference.example)
    assert isinstance(check, Compare) and check.source.relative_to == written
    if reference.unit:
        assert check.variable.unit == reference.unit and check.reference is None
    else:
        assert check.reference == written.lower()


@pytest.mark.parametrize("comparator", sorted(MATCHING.comparators))
@pytest.mark.parametrize("value", [1, 2, 3])
def test_each_comparator_holds_alike_in_the_matcher_and_in_jsonlogic(comparator, value):
    forms = MATCHING.comparators[comparator]
    expected = MATCHING.holds(value, comparator, 2, 3)
    args = [2, value, 3] if forms.test == "between" else [value, 2]
    assert jsonLogic({forms.jsonlogic: args}) is expected
    assert forms.fhir in (None, "<", "<=", ">=", ">")  # FHIR's Quantity.comparator codes


def test_a_comparator_the_grammar_does_not_list_cannot_be_checked():
    assert "+-" not in MATCHING.comparators and MATCHING.holds(1, "+-", 1) is None
