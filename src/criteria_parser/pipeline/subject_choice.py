"""Which lexicon mentions a value is about: the subjects before its comparator, or one named after it.

Used by ``criteria_constraints`` (:mod:`.constraints`). Before the comparator, the nearest mention since the
last constraint and in the same clause is the subject, with every mention coordinated with it ("ALT/AST",
"ALT and AST", "Alanine aminotransferase (ALT)/..."; the one-word ``listing`` phrases of ``cues.jsonl``);
after the value, the first mention of the same clause outside a parenthesis ("within 72 hours of targeted
therapy"). Methods ("by flow cytometry") are never subjects.
"""

from __future__ import annotations

import re

from ..grammar.loader import Grammars
from ..grammar.phrases import compile_phrases
from .types import Mention, Quantity

_CLAUSE_BREAK = re.compile(r"[;\n]|\.\s")


class SubjectPicker:
    """Picks subjects with the listing words of one grammar set."""

    def __init__(self, grammars: Grammars) -> None:
        # the phrases of one word only (", or" is "," and "or"), so the repetition cannot backtrack over spaces
        single = [p for p in grammars.cue_phrases("listing") if " " not in p]
        self._coordination = re.compile(r"(?:[\s()]|" + compile_phrases(single).pattern + r")*", re.IGNORECASE)

    def before(self, text: str, mentions: list[Mention], start: int, end: int) -> list[Mention]:
        """The subject mentions between ``start`` and ``end`` (a comparator): the nearest, or all of a
        coordinated run."""
        window = [m for m in mentions if m.start >= start and m.end <= end and m.entry.category != "method"]
        breaks = [b.end() for b in _CLAUSE_BREAK.finditer(text, start, end)]
        if breaks:
            window = [m for m in window if m.start >= breaks[-1]] or window[-1:]
        if not window:
            return []
        run = [window[-1]]
        for mention in reversed(window[:-1]):
            if not self._coordination.fullmatch(text[mention.end:run[0].start]):
                break
            run.insert(0, mention)
        return run

    @staticmethod
    def after(text: str, mentions: list[Mention], quantity: Quantity) -> list[Mention]:
        """A subject named after the quantity in the same clause ("within 72 hours of targeted therapy")."""
        for mention in mentions:
            if mention.start < quantity.end or mention.entry.category == "method":
                continue
            if _CLAUSE_BREAK.search(text, quantity.end, mention.start) or "(" in text[quantity.end:mention.start]:
                return []
            return [mention]
        return []
