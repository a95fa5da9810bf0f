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

from . import components  # noqa: F401  (registers our factories)
from .numbers import roman_pattern
from .quantities import lettered_scales
from ..grammar.loader import Grammars, load_grammars
from . import tokenizer  # noqa: F401  (registers criteria_parser.tokenizer.v1)

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
    tokenizer = {"@tokenizers": "criteria_parser.tokenizer.v1", "grammars_dir": str(grammars_dir) if grammars_dir else None}
    return spacy.blank("en", config={"nlp": {"tokenizer": tokenizer}})


def worth_parsing(grammars: Grammars) -> re.Pattern[str]:
    """A cheap test for text that may hold a value: a digit, a roman numeral, a number word or a lettered scale.

    Most criteria carry no number; the pipeline runs only on those that match.
    """
    words = sorted({w for rule in grammars.numbers for w in rule.words}, key=len, reverse=True)
    return re.compile(r"\d|" + roman_pattern(grammars) + r"|\b(?:" + "|".join(re.escape(w) for w in words) + r")\b|"
                      + lettered_scales(grammars), re.IGNORECASE)


__all__ = ["ENTITY_PIPES", "PIPE_NAMES", "blank_pipeline", "build_pipeline", "worth_parsing", "load_grammars"]
