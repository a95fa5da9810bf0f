"""Build the spaCy pipeline that extracts constraints from one criterion's text.

``spacy.blank("en")`` with our tokenizer (scispaCy's rules plus ours), then our
components: ``criteria_quantities`` -> ``criteria_abbreviations`` (scispaCy's
abbreviation algorithm) -> ``criteria_comparators`` -> ``criteria_subjects``
-> ``criteria_entities`` (the CRF shipped in the package: clinical mentions) -> ``criteria_constraints``
-> ``criteria_context`` (ConText cues) -> ``criteria_clauses`` (assertions, clauses, exceptions, logic tree).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import spacy
from spacy.language import Language

from . import components, tokenizer
from .numbers import roman_pattern
from .quantities import lettered_scales
from ..grammar.loader import Grammars, load_grammars

#: Imported for what importing them registers: our factories and ``criteria_parser.tokenizer.v1``.
REGISTERED = (components, tokenizer)

PIPE_NAMES = (
    "criteria_quantities",
    "criteria_abbreviations",
    "criteria_comparators",
    "criteria_subjects",
    "criteria_entities",
    "criteria_constraints",
    "criteria_context",
    "criteria_clauses",
)
#: What a criterion without a value goes through: its entities only (the constraints component finds none).
ENTITY_PIPES = ("criteria_subjects", "criteria_entities", "criteria_constraints", "criteria_context", "criteria_clauses")


def build_pipeline(grammars_dir: Optional[Path] = None) -> Language:
    """A ready pipeline; ``grammars_dir`` replaces the packaged grammars."""
    config = {"grammars_dir": str(grammars_dir)} if grammars_dir else {}
    nlp = blank_pipeline(grammars_dir)
    for name in PIPE_NAMES:
        nlp.add_pipe(name, config=config if name != "criteria_abbreviations" else {})
    return nlp


def blank_pipeline(grammars_dir: Optional[Path] = None) -> Language:
    """``spacy.blank("en")`` with our tokenizer (``criteria_parser.tokenizer.v1``) and no component, built without
    English's default tokenizer (which would load its special cases only to be replaced)."""
    config = {"@tokenizers": "criteria_parser.tokenizer.v1", "grammars_dir": str(grammars_dir) if grammars_dir else None}
    return spacy.blank("en", config={"nlp": {"tokenizer": config}})


class ValueTest:
    """A cheap test for text that may hold a value or an exception: a digit, a number word, a roman numeral, a
    lettered scale, an exception word (``cues.jsonl``).

    Most criteria carry no number; the pipeline runs in full only on those that pass. One regex of all the parts
    tried every part at every position (3-9% of the parse of the Leaf texts); the parts are tried one by one,
    cheapest first: a digit; the words matched case-sensitively in the case-folded text (what the words'
    case-insensitive pattern finds; literal words are found much faster so); roman numerals only when the text
    has one of their letters.
    """

    def __init__(self, grammars: Grammars) -> None:
        numbers = sorted({w for rule in grammars.numbers for w in rule.words}, key=len, reverse=True)
        exceptions = grammars.cue_phrases("exception")
        self._digit = re.compile(r"\d")
        self._words = re.compile(r"\b(?:" + "|".join(re.escape(w.casefold()) for w in [*numbers, *exceptions]) + r")\b")
        self._roman_letters = frozenset("".join(grammars.numerals()))
        self._roman = re.compile(roman_pattern(grammars))
        self._scales = re.compile(lettered_scales(grammars), re.IGNORECASE)

    def search(self, text: str) -> bool:
        """Whether ``text`` may hold a value or an exception."""
        return bool(self._digit.search(text) or self._words.search(text.casefold())
                    or (not self._roman_letters.isdisjoint(text) and self._roman.search(text))
                    or self._scales.search(text))


__all__ = ["ENTITY_PIPES", "PIPE_NAMES", "blank_pipeline", "build_pipeline", "ValueTest", "load_grammars"]
