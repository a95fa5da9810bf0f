"""Whether a limit's subject words are plainly its subject (issue 11): a parenthesis, another number, a clause break
or more than :data:`BETWEEN_WORDS` words between them ("ULN for SGPT is 45 U/L", "HbA1c goals ... above 7%"), a
modifier after them ("fingerstick glucose measurements") or a reference cue before them ("upper limit of normal of
creatinine") make the value another thing's, and the limit is never checked.

Reads the comparator phrases of ``comparators.jsonl`` and the cue lists of ``matching.json`` (``measure_modifiers``,
``reference_cues``).
"""

from __future__ import annotations

import re
from typing import Optional

from ..grammar.loader import Grammars
from ..grammar.matching import MatchingGrammar
from ..grammar.phrases import phrase_regex
from ..model import Constraint, Criterion

#: Most words (other than comparator words) that may stand between a limit's subject and its value.
BETWEEN_WORDS = 3


class SubjectGuard:
    """The subject guard of one grammar."""

    def __init__(self, grammars: Grammars, matching: MatchingGrammar) -> None:
        self.matching = matching
        self.comparator_words = {word for rule in grammars.comparators for phrase in rule.phrases
                                 for word in re.findall(r"[a-z]+", phrase.lower())}

    def unjustified(self, criterion: Criterion, constraint: Constraint) -> Optional[str]:
        """Why the words do not make ``constraint.subject`` the subject of its value, if they do not."""
        written = constraint.subject_text
        if not written or constraint.kind not in ("threshold", "range", "relative_limit", "time_window"):
            return None
        words = constraint.text
        # offsets point into the stored text, which may hold Markdown escapes the text here no longer has
        value_at = max(constraint.start - constraint.text_start - (constraint.text_end - constraint.text_start
                                                                     - len(words)), 0)
        if words.lower().startswith(written.lower()):
            between, subject_at = words[len(written):value_at], 0
        elif words.lower().endswith(written.lower()):
            between, subject_at = words[value_at:len(words) - len(written)], len(words) - len(written)
            between = re.sub(r"^[\d.,]+", "", between)  # the value itself
        else:
            return None
        between = self._others_removed(criterion, constraint, between)
        # a window's words may stand between its subject and its value ("Recent (within the last 6 months)/current use
        # of steroids"); another duration there is another window's ("antibiotics within 14 days ... or other
        # infection (e.g., COVID-19) within 14 days")
        why = self._between(between) if constraint.kind != "time_window" else self._another_number(between)
        if why:
            return f"{why} between '{written}' and its value: its subject is not certain: '{words}'"
        text = criterion.text
        found = text.find(words)
        if found < 0:
            return None
        at = found + subject_at
        after = text[at + len(written):at + len(written) + 40].lstrip()
        modifier = next((m for m in self.matching.measure_modifiers if phrase_regex(m).match(after)), None)
        if modifier:
            return f"'{written} {modifier}' is not {constraint.subject} itself: '{words}'"
        before = text[max(at - 40, 0):at]
        reference = next((r for r in self.matching.reference_cues
                          if re.search(phrase_regex(r).pattern + r"\W*$", before, re.IGNORECASE)), None)
        if reference:
            return f"'{reference} {written}' states the normal range, not a limit: '{words}'"
        return None

    @staticmethod
    def _others_removed(criterion: Criterion, constraint: Constraint, between: str) -> str:
        """``between`` without the values of the subject's other constraints ("ECOG 0, 1 or 2")."""
        others = {value for other in criterion.constraints if other is not constraint
                  and other.subject == constraint.subject for value in (other.value, other.value_high)
                  if value is not None}

        def keep(number: re.Match[str]) -> str:
            try:
                return " " if float(number.group().replace(",", "")) in others else number.group()
            except ValueError:
                return number.group()

        return re.sub(r"\d[\d,]*(?:\.\d+)?", keep, between)

    @staticmethod
    def _another_number(between: str) -> Optional[str]:
        return "another number" if re.search(r"\d", between) else None

    def _between(self, between: str) -> Optional[str]:
        if between.count("(") != between.count(")") or between.count("[") != between.count("]"):
            return "a parenthesis"
        if self._another_number(between):
            return "another number"
        if ";" in between:
            return "a clause break"
        words = [w for w in re.findall(r"[a-z]+", between.lower()) if w not in self.comparator_words]
        if len(words) > BETWEEN_WORDS:
            return f"{len(words)} words"
        return None
