"""Guards against confident answers the text does not back (issue 11): until the model carries subjects, assertions
and clause structure, these readings of a criterion's words keep the matcher at ``unknown``.

- the subject guard (:mod:`.subject_guard`): a limit whose subject words are not plainly its subject (a
  parenthesis or another number between them, "ULN for SGPT is 45 U/L", "HbA1c goals ... above 7%", "fingerstick
  glucose measurements") is never checked.
- :meth:`Guards.conditional`: a criterion that applies only to some patients ("for patients < 18 years", "patients
  with HBV are only eligible if") says nothing definite for a patient the check would screen out (an inclusion) or
  in (an exclusion) until the condition is read (the clauses issue).
- :meth:`Guards.cohort`: a criterion that defines one cohort or stratum ("Standard risk 1: ...") is one alternative
  among several, so failing it does not screen a patient out.
- what no check reads (:mod:`.unread`): a criterion that asks more than the concepts it names ("signed consent and
  able to comply", "HBV/HCV/HIV/syphilis/TB") is answered from part of it only.
- :meth:`Guards.timing_rule`: a window that says when the site measures, not what the record must hold.

:meth:`Guards.applies` and :meth:`Guards.partly` put these readings to a criterion's check, through :func:`unsure`.

Reads the cue lists of ``matching.json`` (``conditional_cues``, ``cohort_cues``, ``future_cues``,
``timing_anchors``).
"""

from __future__ import annotations

import re
from typing import Optional

from .plan import AtLeastUnknown, AtMostUnknown, Check, slug
from .subject_guard import SubjectGuard
from .unread import UnreadWords
from ..grammar.loader import Grammars
from ..grammar.matching import MatchingGrammar
from ..model import Constraint, Criterion, Section

#: a number as written, for what no check reads
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")

#: The entity types whose mention no check reads leaves a criterion unanswered (not a person's age or sex, not a
#: measurement, which a limit would read).
UNRECORDED_TYPES = ("condition", "drug", "procedure", "device")
#: Lexicon categories of what a lab or the site measures.
MEASURED = ("lab", "measure", "score")


class Guards:
    """The guards of one grammar."""

    def __init__(self, grammars: Grammars, matching: MatchingGrammar) -> None:
        self.matching = matching
        self.lexicon = {entry.name: entry for entry in grammars.lexicon}
        self.subject = SubjectGuard(grammars, matching)
        self.unread = UnreadWords(grammars, matching, self.subject.comparator_words)

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
            if found >= 0 and (self.timing_rule(constraint, criterion) or not self.subject.unjustified(criterion, constraint)):
                read.append((found, found + len(constraint.text)))
        subjects = tuple(name for c in criterion.constraints if c.subject for name in self._names(c))
        words = self.unread.partial(text, read, subjects, "limits" if criterion.constraints else "concepts")
        future = self.future(text) if section.kind == "exclusion" else None
        if future:
            return unsure(section.kind, check, f"'{future}': what is planned is in no record", fails=False)
        grouped = self._grouped_by_age(criterion, text, read)
        if grouped:  # "1 to < 2 years male: 0.6 female: 0.6": neither passing nor failing the age settles it
            reason = f"the age picks whom '{grouped}' is for, which no check reads"
            return unsure(section.kind, unsure(section.kind, check, reason, fails=False), reason, fails=True)
        unread = self._unlimited_condition(criterion)
        if unread:
            return unsure(section.kind, check, f"the criterion also names '{unread}', which no check reads",
                          fails=False)
        if words:
            return unsure(section.kind, check, f"the criterion also asks what is not checked ('{words}')", fails=False)
        return check

    def _grouped_by_age(self, criterion: Criterion, text: str, read: list[tuple[int, int]]) -> Optional[str]:
        """A number that no check reads beside limits that are all on age, if there is one: the age says whom the
        number is for (a row of a table by age, "13 to < 16 years: male: 1.5 female: 1.4"), so the age alone
        answers nothing."""
        if not criterion.constraints or any(c.subject != self.matching.age.subject for c in criterion.constraints):
            return None
        return next((m.group() for m in _NUMBER.finditer(text) if not any(a <= m.start() < b for a, b in read)), None)

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
