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

:meth:`Guards.applies` and :meth:`Guards.partly` put these readings to a criterion's check, through :func:`unsure`.

Reads the cue lists of ``matching.json`` (``conditional_cues``, ``cohort_cues``, ``measure_modifiers``,
``reference_cues``, ``unchecked_words``) and spaCy's English stop words.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path
from typing import Optional

from .plan import AtLeastUnknown, AtMostUnknown, Check, slug
from ..grammar.loader import Grammars
from ..grammar.matching import MatchingGrammar
from ..grammar.phrases import phrase_regex
from ..model import Constraint, Criterion, Section

#: Most content words a criterion may hold beside what its checks read and still be answered whole, for criteria
#: answered from the concepts they name ("able to read the English consent form" is not) and from their limits
#: ("echocardiography showed LVEF >= 50%" is), unless one of them is an ``unrecorded_requirements`` word ("English").
PARTIAL_WORDS = {"concepts": 2, "limits": 3}
#: The entity types whose mention no check reads leaves a criterion unanswered (not a person's age or sex, not a
#: measurement, which a limit would read).
UNRECORDED_TYPES = ("condition", "drug", "procedure", "device")
#: Lexicon categories of what a lab or the site measures.
MEASURED = ("lab", "measure", "score")
#: Most words (other than comparator words) that may stand between a limit's subject and its value.
BETWEEN_WORDS = 3
#: What separates the items of a list: "and/or", "or", "and", "nor" (after a comma or not), a comma, a slash, "&".
LIST_SEPARATOR = re.compile(r"\s*(?:,\s*)?\b(?:and\s*/\s*or|or|and|nor)\b\s*|\s*[,/&]\s*", re.IGNORECASE)
#: What ends the clause a list stands in.
CLAUSE_END = re.compile(r"[;:]|\.(?:\s|$)")


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
        self.lexicon = {entry.name: entry for entry in grammars.lexicon}
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

    def _unread_item(self, text: str, rest: str) -> Optional[str]:
        """An item of a slash list ("HBV/HCV/HIV/syphilis/TB") that no check reads, when another item is read: a list
        is answered whole or not at all, however few its unread words (``rest``: ``text`` with what is read blanked)."""
        for found in re.finditer(r"[\w'-]+(?:\s?/\s?[\w'-]+)+", text):
            items = [(m.start() + found.start(), m.end() + found.start()) for m in re.finditer(r"[\w'-]+", found.group())]
            unread = [rest[a:b] for a, b in items if rest[a:b].strip() == text[a:b]]
            if len(unread) < len(items) and any(w.lower() not in self.ignored for w in unread):
                return next(w for w in unread if w.lower() not in self.ignored)
        return None

    def unread_list_items(self, text: str, read: list[tuple[int, int]]) -> list[tuple[str, bool]]:
        """The items of a list that stand beside an item a check reads but hold a content word no check reads
        ("HIV, hepatitis B or | tuberculosis", "not pregnant and | willing to use contraception"), each with whether
        a conjunction ("and") joins it: a list is answered only when every item is read (``read``: the spans the
        checks read). A parenthesis is a clause of its own, and its words are no item of the list around it."""
        outer = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", lambda m: " " * len(m.group()), text)
        clauses = [(m.start() + 1, m.group()[1:-1]) for m in re.finditer(r"\([^()]*\)|\[[^\[\]]*\]", text)]
        at = 0
        for end in [m.start() for m in CLAUSE_END.finditer(outer)] + [len(outer)]:
            clauses.append((at, outer[at:end]))
            at = end + 1
        found: list[tuple[str, bool]] = []
        for offset, clause in clauses:
            items, start = [], 0
            for separator in [*LIST_SEPARATOR.finditer(clause), None]:
                end = separator.start() if separator else len(clause)
                joiner = separator.group().strip().lower() if separator else ""
                items.append((offset + start, offset + end, joiner))
                start = separator.end() if separator else end
            if len(items) < 2:
                continue
            is_read = [any(a < e and s < b for s, e in read) for a, b, _ in items]
            if not any(is_read):
                continue
            for index, (a, b, _) in enumerate(items):
                words = [w for w in re.findall(r"[a-z][a-z0-9'-]*", text[a:b].lower())
                         if w.strip("'-") not in self.ignored and not re.search(r"\d", w)]
                if is_read[index] or not words:
                    continue
                joiners = [items[index - 1][2] if index else "", items[index][2] if index + 1 < len(items) else ""]
                found.append((text[a:b].strip(), any(re.search(r"\band\b(?!\s*/)", j) for j in joiners)))
        return found

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
        item = self._unread_item(text, rest)
        if item:
            return f"the list item '{item}'"
        numbers = re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.]*\w)", rest)  # a number no check reads: a limit unread
        if numbers:
            return f"the number {numbers[0]}"
        words = [w for w in re.findall(r"[a-z][a-z0-9'-]*", rest.lower())  # codes (SNDX-5613, T2DM) name
                 if w.strip("'-") not in self.ignored and not re.search(r"\d", w)]  # what other words ask about
        asked = [w for w in words if w in self.requirements]
        return " ".join(words) if len(words) > PARTIAL_WORDS[kind] or asked else None

    def applies(self, text: str) -> Optional[str]:
        """Why a criterion applies to some patients only (a condition, a cohort), if it does."""
        condition = self.conditional(text)
        if condition:
            return f"'{condition}': the criterion applies to some patients only"
        return self.cohort_only(text)

    def cohort_only(self, text: str) -> Optional[str]:
        """Why a criterion applies to one cohort only, if it does (its conditions are the model's to check)."""
        cohort = self.cohort(text)
        return f"'{cohort}': the criterion defines one cohort of several" if cohort else None

    def partly(self, section: Section, criterion: Criterion, check: Check, text: Optional[str] = None) -> Check:
        """``check``, kept from the answer it cannot back when the criterion asks more than it reads (words no
        constraint or concept covers, or what is planned)."""
        text = criterion.text if text is None else text
        read = [] if criterion.constraints else list(self.matching.finder.phrase_spans(text))  # concepts are read only then
        for excerpt in criterion.exceptions:  # what an exception asks is checked, or makes the answer unknown, apart
            found = text.find(excerpt.text)
            if found >= 0:
                read.append((found, found + len(excerpt.text)))
        for constraint in criterion.constraints:
            found = text.find(constraint.text)
            if found >= 0 and (self.timing_rule(constraint, criterion) or not self.unjustified(criterion, constraint)):
                read.append((found, found + len(constraint.text)))
        subjects = tuple(name for c in criterion.constraints if c.subject for name in self._names(c))
        words = self.partial(text, read, subjects, "limits" if criterion.constraints else "concepts")
        future = self.future(text) if section.kind == "exclusion" else None
        if future:
            return unsure(section.kind, check, f"'{future}': what is planned is in no record", fails=False)
        unread = self._unlimited_condition(criterion)
        if unread:
            return unsure(section.kind, check, f"the criterion also names '{unread}', which no check reads",
                          fails=False)
        if words:
            return unsure(section.kind, check, f"the criterion also asks what is not checked ('{words}')", fails=False)
        return check

    def _unlimited_condition(self, criterion: Criterion) -> Optional[str]:
        """A condition the model lists for a criterion whose limits are all on age, which none of them limits
        ("Patients of 12-70 years ... with a diagnosis of NCPH": the age is read, the NCPH is not), if there is one
        (issue 9: the criterion's entities)."""
        if not criterion.constraints or any(c.subject != self.matching.age.subject for c in criterion.constraints):
            return None
        limited = {constraint.entity for constraint in criterion.constraints}
        return next((e.text for e in criterion.entities if e.type == "condition" and e.id not in limited), None)

    def timing_rule(self, window: Constraint, criterion: Criterion) -> bool:
        """Whether a window says when the site measures, not what the record must hold: a window before an anchor
        still to come (``timing_anchors``: "within 7 days prior to enrollment", "before the first dose"), in a criterion
        that (or whose sub-items) limits a lab value, a measure or a score, the window's subject being that measure, or
        none and no condition or treatment named ("Platelet count >= 100,000/mm^3 (within 7 days prior to enrollment)")."""
        if window.kind != "time_window" or window.direction == "after" or window.anchor is None:
            return False
        if slug(window.anchor) not in {slug(a) for a in self.matching.timing_anchors}:
            return False

        def measured(subject: Optional[str]) -> bool:
            return subject is not None and getattr(self.lexicon.get(subject), "category", None) in MEASURED

        limited = {c.subject for item in (criterion, *criterion.children) for c in item.constraints  # the limits
                   if c is not window and c.role == "condition"  # may be the sub-items' ("as defined below within")
                   and c.kind in ("threshold", "range", "relative_limit") and measured(c.subject)}
        if not limited:
            return False
        if window.subject is not None:  # "RBC transfusion within 14 days before the first dose" is no timing
            return window.subject in limited
        return self.matching.finder.event_near(criterion.text, max(window.start - criterion.start, 0)) is None

    def _names(self, constraint: Constraint) -> list[str]:
        """Every way the text may name a constraint's subject: its own words and the lexicon's names for it."""
        entry = self.lexicon.get(constraint.subject or "")
        names = [entry.name, *entry.synonyms, *entry.abbreviations] if entry else [constraint.subject or ""]
        return [name for name in [constraint.subject_text or "", *names] if name]


def unsure(section: str, check: Check, reason: str, fails: bool) -> Check:
    """``check`` kept from the answer the text does not back. ``fails``: what it checks may not apply to the patient
    (a condition, a cohort), so failing it is unknown: an inclusion not met, an exclusion met. Else it checks only part
    of what the criterion asks, so passing the part is unknown: an inclusion met, an exclusion not met."""
    floor = (section == "inclusion") == fails
    return AtLeastUnknown(check, reason) if floor else AtMostUnknown(check, reason)
