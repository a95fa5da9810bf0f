"""Guards against confident answers the text does not back (issue 11): until the model carries subjects, assertions
and clause structure, these readings of a criterion's words keep the matcher at ``unknown``.

- :meth:`Guards.unjustified`: a limit whose subject words are not plainly its subject (a parenthesis or another
  number between them, "ULN for SGPT is 45 U/L", "HbA1c goals ... above 7%", "fingerstick glucose measurements")
  is never checked.
- :meth:`Guards.conditional`: a criterion that applies only to some patients ("for patients < 18 years", "patients
  with HBV are only eligible if") says nothing definite for a patient the check would screen out (an inclusion) or
  in (an exclusion) until the condition is read (the clauses issue).
- :meth:`Guards.cohort`: a criterion that defines one cohort or stratum ("Standard risk 1: ...") is one alternative
  among several, so failing it does not screen a patient out.
- :meth:`Guards.partial`: a criterion without limits that asks more than the concepts it names ("signed consent
  and able to comply", "HBV/HCV/HIV/syphilis/TB") is answered from part of it only.

Reads the cue lists of ``matching.json`` (``conditional_cues``, ``cohort_cues``, ``measure_modifiers``,
``reference_cues``, ``unchecked_words``) and spaCy's English stop words.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path
from typing import Optional

from ..grammar.loader import Grammars
from ..grammar.matching import MatchingGrammar
from ..grammar.phrases import phrase_regex
from ..model import Constraint, Criterion

#: Most content words a criterion may hold beside what its checks read and still be answered whole, for criteria
#: answered from the concepts they name ("able to read the English consent form" is not) and from their limits
#: ("echocardiography showed LVEF >= 50%" is), unless one of them is an ``unrecorded_requirements`` word ("English").
PARTIAL_WORDS = {"concepts": 2, "limits": 3}
#: Most words (other than comparator words) that may stand between a limit's subject and its value.
BETWEEN_WORDS = 3


@lru_cache(maxsize=1)
def english_stop_words() -> frozenset[str]:
    """spaCy's English stop words, read from its list (``spacy/lang/en/stop_words.py``, a module of data alone)
    without importing spaCy, which takes half a second that ``match`` on a parsed listing does not need."""
    spacy = importlib.util.find_spec("spacy")  # finds the package without importing it
    path = Path(spacy.origin).parent / "lang" / "en" / "stop_words.py"
    spec = importlib.util.spec_from_file_location("criteria_parser_spacy_en_stop_words", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return frozenset(module.STOP_WORDS)


class Guards:
    """The guards of one grammar."""

    def __init__(self, grammars: Grammars, matching: MatchingGrammar) -> None:
        self.matching = matching
        self.comparator_words = {word for rule in grammars.comparators for phrase in rule.phrases
                                 for word in re.findall(r"[a-z]+", phrase.lower())}
        negations = [rule.literal for rule in grammars.context
                     if rule.category == "NEGATED_EXISTENCE" and rule.pattern is None]
        phrases = [*negations, *matching.active_cues, *matching.unchecked_words,
                   *(form for unit in grammars.units for form in unit.forms),
                   *(phrase for rule in grammars.anchors for phrase in rule.phrases),
                   *(phrase for rule in grammars.time_relations for phrase in rule.phrases)]
        cue_words = {word for phrase in phrases for word in re.findall(r"[a-z][a-z'-]*", phrase.lower())}
        self.ignored = self.comparator_words | english_stop_words() | cue_words
        self.requirements = {w.lower() for w in matching.unrecorded_requirements}

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

    def conditional(self, text: str) -> Optional[str]:
        """The words that make the criterion apply only to some patients, if any."""
        return self.matching.cue_in(text, self.matching.conditional_cues)

    def cohort(self, text: str) -> Optional[str]:
        """The heading naming a cohort or stratum that the criterion defines ("Standard risk 1:"), if any."""
        head = text.split(":", 1)[0] if ":" in text[:60] else ""
        return self.matching.cue_in(head, self.matching.cohort_cues) if head else None

    def future(self, text: str) -> Optional[str]:
        """Words about what is planned or expected ("anticipated need for surgery"), which no record holds."""
        return self.matching.cue_in(text, self.matching.future_cues)

    def partial(self, text: str, read: list[tuple[int, int]], subjects: tuple[str, ...] = (),
                kind: str = "concepts") -> Optional[str]:
        """The words of a criterion that none of its checks reads, when there are more than :data:`PARTIAL_WORDS`
        (``read``: the spans of the concepts' phrases and the constraints' words; ``subjects``: the words the
        constraints name their subjects with, wherever they stand)."""
        rest = list(text)
        for cue in self.matching.citation_cues:  # "According to the NCCN guidelines for ALL, ...": a source, no ask
            for found in re.finditer(phrase_regex(cue).pattern + r"[^,;]*", text, re.IGNORECASE):
                rest[found.start():found.end()] = " " * (found.end() - found.start())
        for start, end in read:
            rest[start:end] = " " * (end - start)
        for subject in subjects:
            for found in re.finditer(rf"(?<!\w){re.escape(subject)}(?!\w)", text, re.IGNORECASE):
                rest[found.start():found.end()] = " " * (found.end() - found.start())
        rest = "".join(rest)
        numbers = re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.]*\w)", rest)  # a number no check reads: a limit unread
        if numbers:
            return f"the number {numbers[0]}"
        words = [w for w in re.findall(r"[a-z][a-z0-9'-]*", rest.lower())  # codes (SNDX-5613, T2DM) name
                 if w.strip("'-") not in self.ignored and not re.search(r"\d", w)]  # what other words ask about
        asked = [w for w in words if w in self.requirements]
        return " ".join(words) if len(words) > PARTIAL_WORDS[kind] or asked else None
