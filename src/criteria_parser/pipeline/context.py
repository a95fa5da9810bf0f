"""``criteria_context``: ConText cues and their scopes (negated, hypothetical, permitted, historical, family).

Reads ``text_of(doc)``, ``doc._.cp_exclusion`` (a cue restating an exclusion asserts nothing in one) and the
mentions of ``doc._.cp_found`` and ``doc._.cp_constraints`` (a negation bears on its first one); writes ``doc._.cp_modifiers`` (:class:`~..grammar.context.Modifier` list, in text order) and
answers ``span._.cp_assertions`` (the categories of the cues whose scope holds a span, as medspaCy's
``span._.is_negated`` and friends do). The rules are ``grammars/context.jsonl`` in medspaCy's ConText format; the
algorithm is :mod:`..grammar.context`, which the matcher shares.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..grammar.context import ContextReader, asserted, context_reader
from ..grammar.loader import load_grammars
from .types import register_extensions, text_of


def _span_assertions(span: Span) -> set[str]:
    return {m.category for m in asserted(span.doc._.cp_modifiers, span.start_char, span.end_char)}


@Language.factory("criteria_context", assigns=["doc._.cp_modifiers"], default_config={"grammars_dir": None})
def make_context(nlp: Language, name: str, grammars_dir: Optional[str]) -> "ContextComponent":
    """Factory: ``nlp.add_pipe("criteria_context")``."""
    return ContextComponent(context_reader(load_grammars(Path(grammars_dir) if grammars_dir else None)))


class ContextComponent:
    """Pipeline step that sets ``doc._.cp_modifiers``."""

    def __init__(self, reader: ContextReader) -> None:
        register_extensions()
        if not Span.has_extension("cp_assertions"):
            Span.set_extension("cp_assertions", getter=_span_assertions)
        self.reader = reader

    def __call__(self, doc: Doc) -> Doc:
        text, exclusion = text_of(doc), bool(doc._.cp_exclusion)
        scoped = self.reader.scoped(text, exclusion)
        doc.user_data[scoped_key(self.reader)] = scoped  # the clause reader's cues (criteria_clauses)
        doc._.cp_modifiers = self.reader.modifiers(text, exclusion, mentions(doc), scoped)
        return doc


def scoped_key(reader: ContextReader) -> tuple[str, int]:
    """Where ``criteria_context`` keeps, in ``doc.user_data``, the cues and scopes that ``reader`` found in the doc
    before its mentions cut any (:meth:`~..grammar.context.ContextReader.scoped`)."""
    return "cp_scoped_cues", id(reader)


def mentions(doc: Doc) -> list[tuple[int, int]]:
    """The words of the doc's entities and of its constraints' values and subjects."""
    spans = [(f.start, f.end) for f in doc._.cp_found or []]
    for constraint in doc._.cp_constraints or []:
        spans.append((constraint.start, constraint.end))
        if constraint.subject_start is not None:
            spans.append((constraint.subject_start, constraint.subject_end))
    return spans
