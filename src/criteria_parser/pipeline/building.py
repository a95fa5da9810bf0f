"""Constraints built from a quantity, what it states and its subjects: kind, unit, subject text, qualifier, role.

Used by ``criteria_constraints`` (:mod:`.constraints`). The kind follows from the value (a category, a relative
limit, a range, a time window unless the subject is measured in time, a dose for a drug or a dose rate,
else a threshold); a garbled unit is the first of its candidates whose plausible range (``lexicon.jsonl``)
holds the value (flagged ``unit_repair``); a method named right after the value (">1% (flow cytometry)") is
the qualifier; words in parentheses between a subject and its comparator are kept in the subject text
(flagged); a value inside an "except ..." clause has the role ``exception``.
"""

from __future__ import annotations

import re
from typing import Optional

from ..grammar.loader import Grammars, LexiconEntry
from ..grammar.phrases import compile_phrases
from ..model import Comparator, Constraint, ConstraintKind, Flag, FlagKind, Role
from .readings import Reading
from .types import Found, Mention, Quantity

_PARENTHESIZED = re.compile(r"^\s*(\([^()]*\))\s*$")
#: Units an amount of a drug is a dose in ("prednisone < 10 mg", "10 mg/kg").
_DOSE_DIMENSIONS = frozenset({"mass", "dose_rate", "volume", "mass_per_area", "activity_concentration", "other", None})


class ConstraintBuilder:
    """Builds constraints with the units and lexicon of one grammar set."""

    def __init__(self, grammars: Grammars) -> None:
        self.window_units = grammars.window_units()
        self.dimensions = {u.ucum: u.dimension for u in grammars.units}
        #: between a value and its method: spaces, a parenthesis, a ``method_lead`` of ``cues.jsonl`` ("by")
        self.method_gap = re.compile(r"^[\s(]*(?:" + compile_phrases(grammars.cue_phrases("method_lead")).pattern
                                     + r")?[\s(]*$", re.IGNORECASE)

    def build(self, text: str, quantity: Quantity, reading: Reading, subjects: list[Found], right: bool,
              group: int, mentions: list[Mention], exceptions: list[tuple[int, int]]) -> list[tuple[Constraint, Optional[Found]]]:
        """One constraint per subject of ``subjects`` (mentions of one concept are one subject; one constraint
        without a subject when there is none), each with the entity it limits.

        Args:
            text: the criterion's text.
            quantity: the value.
            reading: what it states.
            subjects: its subject entities, coordinated ones all.
            right: the subjects are written after the value.
            group: the logic group of the first constraint; each further subject takes the next.
            mentions: every lexicon mention of the text (the method of a value is one).
            exceptions: the spans of "except ..." clauses.
        """
        qualifier = _qualifier(text, mentions, quantity.text_end, self.method_gap)
        role = Role.EXCEPTION if any(s <= quantity.start < e for s, e in exceptions) else Role.CONDITION
        return [(self._constraint(text, quantity, reading, own, right, group + index, qualifier, role),
                 own[0] if own else None)
                for index, own in enumerate(_by_subject(subjects) or [[]])]

    def _constraint(self, text: str, quantity: Quantity, reading: Reading, own: list[Found], right: bool, group: int,
                    qualifier: Optional[tuple[str, int, int]], role: Role) -> Constraint:
        """The constraint of one subject (``own``: its mentions; none for a constraint without a subject)."""
        entry = own[0].entry if own else None
        flags = list(reading.flags)
        unit, unit_flag = self._unit(quantity, entry)
        unit_text = quantity.unit.text if quantity.unit else None
        if unit is None and reading.listed_after is not None:  # "stage 4 or 5": 5 is a stage too
            unit, unit_text = reading.listed_after.unit, reading.listed_after.unit_text
        if unit_flag:
            flags.append(unit_flag)
        flags.extend(_typo_flags(own))
        subject_text, subject_start, kept = _subject_text(text, own, reading.cue_start or quantity.start, right)
        if kept:
            flags.append(kept)
        subject_end = subject_start + len(subject_text) if subject_start is not None and subject_text else None
        kind = self._kind(quantity, reading, unit, entry, own[0] if own else None)
        starts = [quantity.start] + ([reading.cue_start] if reading.cue_start is not None else [])
        ends = [reading.end, quantity.text_end] + ([qualifier[2]] if qualifier else [])
        if subject_start is not None:
            (ends if right else starts).append(subject_start if not right else subject_end)
        text_start, text_end = min(starts), max(ends)
        return Constraint(
            kind=kind,
            subject=entry.name if entry else (" ".join(subject_text.split()) if subject_text else None),
            subject_text=subject_text,
            subject_start=subject_start if subject_end is not None else None,
            subject_end=subject_end,
            subject_concept=entry.id if entry else None,
            subject_code=entry.code if entry else None,
            open_subject=bool(subject_text) and entry is None,
            comparator=reading.comparator,
            value=quantity.value if quantity.category is None or quantity.value_high is not None else None,
            value_high=quantity.value_high,
            category=quantity.category,
            unit=unit,
            unit_text=unit_text,
            relative_to=quantity.reference.relative_to if quantity.reference else None,
            direction=reading.direction,
            anchor=reading.anchor,
            qualifier=qualifier[0] if qualifier else None,
            role=role,
            group=group,
            start=quantity.start,
            end=quantity.end,
            text=text[text_start:text_end],
            text_start=text_start,
            text_end=text_end,
            flags=sorted(flags, key=lambda f: f.start),
            rule=reading.rule,
        )

    def _kind(self, quantity: Quantity, reading: Reading, unit: Optional[str], entry: Optional[LexiconEntry],
              subject: Optional[Found]) -> str:
        if quantity.category is not None:
            return ConstraintKind.CATEGORY.value
        if quantity.reference is not None:
            return ConstraintKind.RELATIVE_LIMIT.value
        if reading.comparator == Comparator.BETWEEN.value:
            return ConstraintKind.RANGE.value
        timed = entry is not None and (entry.category == "demographic" or entry.unit in self.window_units)
        if unit in self.window_units and not timed and not (subject and subject.rule == "subject.not_the_persons_age"):
            return ConstraintKind.TIME_WINDOW.value  # but a subject measured in time (age, gestational age) is not
        dimension = self.dimensions.get(unit or "")
        counted = bool(unit) and unit.startswith("{") and "/" not in unit  # "4 cycles", "2 sessions": no amount
        if (subject is not None and subject.type == "drug" and dimension in _DOSE_DIMENSIONS and not counted) \
                or dimension == "dose_rate":
            return ConstraintKind.DOSE.value
        return ConstraintKind.THRESHOLD.value

    @staticmethod
    def _unit(quantity: Quantity, entry: Optional[LexiconEntry]) -> tuple[Optional[str], Optional[Flag]]:
        """The UCUM unit; a garbled unit is the first candidate whose plausible range holds the value."""
        unit = quantity.unit
        if unit is None:
            return None, None
        if not unit.repaired:
            return unit.candidates[0], None
        chosen = unit.candidates[0]
        reason = "first candidate"
        if entry is not None:
            for candidate in unit.candidates:
                low, high = entry.plausible.get(candidate, (None, None))
                if low is not None and low <= quantity.value <= high:
                    chosen, reason = candidate, f"plausible for {entry.name}: {low:g}-{high:g} {candidate}"
                    break
        flag = Flag(kind=FlagKind.UNIT_REPAIR, read=unit.text, understood=f"{chosen} ({reason})",
                    start=unit.start, end=unit.start + len(unit.text), rule=unit.rule)
        return chosen, flag


def _by_subject(subjects: list[Found]) -> list[list[Found]]:
    """``subjects`` by the subject they name: the mentions of one lexicon concept are one subject."""
    by_subject: dict[int, list[Found]] = {}
    for found in subjects:
        key = id(found.entry) if found.entry is not None else id(found)
        by_subject.setdefault(key, []).append(found)
    return list(by_subject.values())


def _qualifier(text: str, mentions: list[Mention], position: int,
               gap: re.Pattern[str]) -> Optional[tuple[str, int, int]]:
    """A method named right after a value, ``gap`` between: ">1% (flow cytometry)", "> 5% using flow cytometry"."""
    for mention in mentions:
        if mention.entry.category == "method" and mention.start >= position:
            if gap.match(text[position:mention.start]):
                close = re.match(r"\s*\)", text[mention.end:])
                return mention.entry.name, mention.start, mention.end + (close.end() if close else 0)
            return None
    return None


def _subject_text(text: str, own: list[Found], comparator_start: int, right: bool):
    """The subject as written, and a kept-as-text flag for unrecognized words in parentheses before the value."""
    own = [f for f in own if f.start >= 0]  # an age stated without words ("18 years or older") has none
    if not own:
        return None, None, None
    start, end = own[0].start, own[-1].end
    if text[end:end + 1] == ")" and text.count("(", start, end) > text.count(")", start, end):
        end += 1  # "Alanine aminotransferase (ALT" -> "... (ALT)"
    if right:
        return text[start:end], start, None
    gap = text[end:comparator_start]
    parenthesized = _PARENTHESIZED.match(gap)
    if parenthesized:
        inner = parenthesized.group(1)
        at = end + gap.index(inner)
        flag = Flag(kind=FlagKind.KEPT_AS_TEXT, read=inner, understood="not understood; kept in the subject text",
                    start=at, end=at + len(inner), rule="subject.kept_as_text")
        return text[start:at + len(inner)], start, flag
    return text[start:end], start, None


def _typo_flags(mentions: list[Found]) -> list[Flag]:
    flags = []
    for mention in mentions:
        if mention.typo and mention.entry is not None:
            read, understood, start, end = mention.typo
            flags.append(Flag(kind=FlagKind.TYPO, read=read, understood=understood, start=start, end=end,
                              rule=mention.entry.id))
    return flags
