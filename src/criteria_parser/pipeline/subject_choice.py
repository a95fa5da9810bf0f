"""Which lexicon mentions a value is about: the subjects before its comparator, or one named after it.

Used by ``criteria_constraints`` (:mod:`.constraints`). Before the comparator, the nearest mention since the
last constraint and in the same clause is the subject, with every mention coordinated with it ("ALT/AST",
"ALT and AST", "Alanine aminotransferase (ALT)/..."; the one-word ``listing`` phrases of ``cues.jsonl``);
after the value, the first mention of the same clause outside a parenthesis ("within 72 hours of targeted
therapy"). Clauses end at the ``clause_break`` cues of ``cues.jsonl`` (:mod:`criteria_parser.grammar.clauses`)
and, for a subject, at a line break too. Methods ("by flow cytometry") are never subjects.
"""

from __future__ import annotations

import re

from ..grammar.clauses import clause_around
from ..grammar.loader import Grammars
from ..grammar.phrases import compile_phrases
from .types import Found, Quantity


class SubjectPicker:
    """Picks subjects with the listing words of one grammar set."""

    def __init__(self, grammars: Grammars) -> None:
        self._grammars = grammars
        # the phrases of one word only (", or" is "," and "or"), so the repetition cannot backtrack over spaces
        single = [p for p in grammars.cue_phrases("listing") if " " not in p]
        joiner = compile_phrases(single).pattern
        self._coordination = re.compile(r"[\s()]*(?:(?:" + joiner + r")[\s()]*)+", re.IGNORECASE)

    def before(self, text: str, mentions: list[Found], start: int, end: int) -> list[Found]:
        """The subject mentions between ``start`` and ``end`` (a comparator): the nearest, or all of a
        coordinated run."""
        window = [m for m in mentions if m.start >= start and m.end <= end]
        clause_start = max(clause_around(self._grammars, text, end)[0], text.rfind("\n", start, end) + 1)
        if clause_start > start:
            window = [m for m in window if m.start >= clause_start] or window[-1:]
        if not window:
            return []
        run = [window[-1]]
        for mention in reversed(window[:-1]):
            if not self._coordination.fullmatch(text[mention.end:run[0].start]):
                break
            run.insert(0, mention)
        return run

    def after(self, text: str, mentions: list[Found], quantity: Quantity) -> list[Found]:
        """A subject named after the quantity in the same clause ("within 72 hours of targeted therapy")."""
        for mention in mentions:
            if mention.start < quantity.end:
                continue
            between = text[quantity.end:mention.start]
            if clause_around(self._grammars, text, quantity.end)[1] < mention.start or "\n" in between or "(" in between:
                return []
            return [mention]
        return []
