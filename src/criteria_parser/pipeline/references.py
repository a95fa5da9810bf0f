"""Relative limits after a value: "3 times the upper limit of normal", "2-fold", "twice higher than normal".

Used by ``criteria_quantities`` (:mod:`.quantities`). Read with ``grammars/relative.jsonl``: the references
(``role: reference``, ULN, LLN or fold), the multiplier words between the number and the reference ("times",
"x"), the filler words that may stand between them ("the institutional") and the comparisons stated there
("higher than", which gives the comparator).
"""

from __future__ import annotations

import re
from typing import Optional

from ..grammar.loader import Grammars
from ..grammar.phrases import compile_phrases, normalize
from .types import Reference


class ReferenceReader:
    """Finds the reference of a relative limit with the rules of one grammar set."""

    def __init__(self, grammars: Grammars) -> None:
        rules = grammars.relative
        multipliers = [p for r in rules if r.role == "multiplier" for p in r.phrases]
        fillers = [p for r in rules if r.role == "filler" for p in r.phrases]
        self._comparisons = {normalize(p): r for r in rules if r.role == "comparison" for p in r.phrases}
        self._multiplier_words = {normalize(p) for p in multipliers}
        self._references = {normalize(p): r for r in rules if r.role == "reference" for p in r.phrases}
        self._pattern = re.compile(
            # the multiplier may touch the number: "2.5X ULN", "3x the upper limit"
            r"\s*(?:(?P<mult>" + compile_phrases(multipliers, glued=True).pattern + r")\s*)?"
            r"(?:(?P<cmp>" + (compile_phrases(self._comparisons).pattern if self._comparisons else "(?!)") + r")\s+)?"
            r"(?:(?:" + compile_phrases(fillers).pattern + r")\s+)*"
            r"(?P<ref>" + compile_phrases(self._references).pattern + r")",
            re.IGNORECASE,
        )

    def is_multiplier(self, word: str) -> bool:
        """Whether ``word`` is a multiplier word: the value itself multiplies ("twice the ULN")."""
        return normalize(word) in self._multiplier_words

    def starts_at(self, text: str, position: int) -> bool:
        """Whether a reference, with its multiplier and fillers, starts at ``position``."""
        return self._pattern.match(text, position) is not None

    def read(self, text: str, position: int, multiplied: bool = False) -> Optional[Reference]:
        """The reference after a value; ``multiplied``: the value itself is a multiplier ("twice")."""
        found = self._pattern.match(text, position)
        if not found:
            return None
        rule = self._references[normalize(found.group("ref"))]
        if (rule.relative_to != "fold" and not (found.group("mult") or multiplied) and not found.group("ref").isupper()
                and len(found.group("ref").split()) < 3):
            return None  # "3 upper limit" needs a multiplier; "3 ULN" and "1.5 upper limit of normal" do not
        start = next(found.start(group) for group in ("mult", "cmp", "ref") if found.group(group))
        comparison = self._comparisons[normalize(found.group("cmp"))] if found.group("cmp") else None
        return Reference(start, found.end(), rule.relative_to, rule.id, comparison.comparator if comparison else None,
                         comparison.id if comparison else None)
