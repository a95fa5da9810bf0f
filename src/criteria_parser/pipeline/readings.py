"""What one quantity states: its comparator, and for an amount of time its direction and anchor.

Used by ``criteria_constraints`` (:mod:`.constraints`), which reads ``doc._.cp_quantities``,
``doc._.cp_cues``, ``doc._.cp_mentions`` and ``doc._.cp_context``. The comparator is, in this order: ``between``
for a range; the prefix comparator or time relation right before the quantity (a "measure" comparator may name
its measure first: "minimum disease duration of 5 years"); the bound of a range end read apart; a postfix
comparator right after it ("92% or higher") or a sign between it and the measure it bounds, mirrored ("145 mmHg
≤ SBP" is SBP >= 145); else what the quantity is without one (:meth:`ComparisonReader._implicit`). A time
amount takes the direction and anchor written after it, as :mod:`.placement` finds them ("within 4 weeks before
enrollment", "14 days or 5 half-lives (whichever is longer) prior to initiation of study treatment", and after a
"within" a link: "within 28 days of randomization"): an anchor of ``anchors.jsonl``, else the event as written
("prior to starting capmatinib": up to an ``event_end`` cue, at most six words; after a link only a "starting ..."
or one ending in an ``event_head``, "of virologic load assessments", and never what the criterion is about: "within
72 hours of small molecule targeted therapy" names what was taken). A window that names none takes those of an
ancestor criterion (flagged ``inherited``) unless it is a plain comparison ("< 6 months" in a table of ages); a
bare amount under an inherited "before <event>" is a window (``<=``, flagged). A sample size "(n=20)" and the size
of a scale ("on a 0-10 scale") state nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Optional

from spacy.tokens import Doc

from ..grammar.loader import Grammars
from ..grammar.phrases import compile_source, normalize
from ..model import Comparator, Constraint, Flag, FlagKind
from .comparators import GAP_LIMIT, postfix_cue
from .numbers import roman_letters, roman_pattern
from .placement import WindowPlacer
from .types import Cue, Mention, Quantity, text_of
from .units import joiner_pattern

#: A hyphenated amount before a noun modifies it ("2-hour glucose load", "10-point scale"): no value of its own.
_MODIFIER = re.compile(r"-[^\W\d_]+[ \t]+[^\W\d_]")
#: A noun counted by the bare number a criterion opens with ("Four video-recordings", "12 seizures").
_COUNTED = re.compile(r"[ \t]+[^\W\d_]")
#: Between the size of a scale and the word "scale": "on a 0-10 pain intensity numeric scale".
_SCALE_GAP = re.compile(r"^[\s-]*(?:[^\W\d_][\w-]*\s+){0,3}$")
#: A comparator sign as read from the value written before it, and the measure word that must follow it; an
#: "=" reads the same both ways ("80mmHg=DBP<110mmHg" is DBP = 80 as written, not the "<" of the value before).
_MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}
_WORD_AFTER = re.compile(r"\s*[^\W\d_]")
#: Between a value and the measure it is of, before a postfix comparator: "150 cm *of* height or greater".
_OF_MEASURE = re.compile(r"[ \t]+of[ \t]+", re.IGNORECASE)
#: Between a limit and its restatement in brackets: "< 50 mg/dL (2.7 mmol/L)".
_BRACKET_OPEN = re.compile(r"\s*[(\[]\s*")
#: A plus between numbers is a sum ("24 + 0 weeks", "groups 1+2"), and one before a minus opens a tolerance
#: ("23 +/- 4", "23 +- 4"): not "or more".
_SUM = re.compile(r"\+\s*(?:\d|/?\s*-)")


@dataclass
class Reading:
    """What was decided for one quantity before subjects multiply it into constraints."""

    comparator: str
    rule: str
    cue_start: Optional[int]
    flags: list[Flag]
    direction: Optional[str] = None
    anchor: Optional[str] = None
    end: int = 0
    listed_after: Optional[Constraint] = None  # the "=" value this one is listed after ("stage 4 or 5")


class _Gaps:
    """What may stand between a value and the words that decide its reading, built from cues of ``cues.jsonl``
    (``listing``, ``kind_word``, ``scale_opener``, ``group_lead``, ``group_joiner``, ``measure_end``)."""

    def __init__(self, grammars: Grammars) -> None:
        def phrases(cue: str, case_sensitive: bool) -> str:
            return "(?:" + compile_source(grammars.cue_phrases(cue), case_sensitive) + ")"

        listed, listed_any_case = phrases("listing", True), "(?i:" + phrases("listing", False) + ")"
        roman = "(?:" + "|".join(roman_letters(grammars)) + ")"  # the numerals of numbers.jsonl, bare
        #: between a kind_name cue and its numeral, past the numerals listed before it: "Type I", "factors II,V,VII
        #: and X"
        self.kind = re.compile(r"[\s-]*(?:" + roman + r"\s*" + listed + r"\s*)*")
        #: between a numeral and the kind_head cue after it, past the numerals listed after it: "class I or III
        #: antiarrhythmic", "class I and class II antibodies"
        self.kind_head = re.compile(r"[A-D]?(?:\s*" + listed_any_case + r"\s*(?:(?i:" + phrases("kind_word", False)
                                    + r")\s+)?" + roman + r"[A-D]?)*[\s-]*")
        #: before the size of a scale: "on a 0-10 pain intensity numeric scale"
        self.scale_opener = re.compile(phrases("scale_opener", False) + r"\s+$", re.IGNORECASE)
        #: between a limit for one group and the next group's: "60 kg (132 lbs) for men and 48 kg for women"
        self.for_group = re.compile(r"[\s)\]]*" + phrases("group_lead", False) + r"\s+(?:[^\W\d_][\w-]*\s+){1,2}"
                                    + phrases("group_joiner", False) + r"\s+", re.IGNORECASE)
        #: what a "measure" comparator may name before its value: "minimum disease duration of 5", "Maximum Age: 99"
        self.measure = re.compile(r"^\s+(?:[^\W\d_][\w-]*\s+){0,2}[^\W\d_][\w-]*\s*" + phrases("measure_end", True)
                                  + r"\s*$")


class ComparisonReader:
    """Reads what each quantity states, with the rules of one grammar set."""

    def __init__(self, grammars: Grammars) -> None:
        self.placer = WindowPlacer(grammars)
        self.window_units = grammars.window_units()
        self.dimensions = {u.ucum: u.dimension for u in grammars.units}
        self.paired_subjects = {e.name for e in grammars.lexicon if e.paired}
        #: between two listed values: "0 or 1", "1, 2 or 3", "II/III", "III and IV"
        self.listed = joiner_pattern(grammars, "listing")
        #: roman numerals listed together are categories of one scale, named or not: "Axis I or II", "III/IV"
        self.listed_roman = re.compile(self.listed.pattern + roman_pattern(grammars), re.IGNORECASE)
        #: what may stand between a prefix comparator and its number ("minimum of approximately 12")
        fillers = grammars.cue_phrases("value_filler")
        self.prefix_gap = re.compile(r"^[\s:(]*(?:(?:" + "|".join(map(re.escape, fillers)) + r")\s+)?[\s(]*$",
                                     re.IGNORECASE)
        self.gaps = _Gaps(grammars)

    def read(self, doc: Doc, quantity: Quantity, cues: list[Cue], mentions: list[Mention],
             last: Optional[Constraint]) -> Optional[Reading]:
        """What ``quantity`` states, or None when it states no constraint.

        Args:
            doc: the criterion, with its cues and context.
            quantity: the quantity.
            cues: the cues of ``doc``.
            mentions: the subject mentions of ``doc``.
            last: the constraint built last in ``doc``, whose comparator a value listed after it shares.
        """
        text = text_of(doc)
        if _not_a_value(text, quantity, cues, self.gaps):
            return None
        flags = list(quantity.flags)
        is_time = quantity.unit is not None and set(quantity.unit.candidates) <= self.window_units
        reading = self._stated(text, quantity, cues, flags, mentions)
        if reading is None:
            reading = self._implicit(doc, quantity, is_time, flags, mentions, last)
            if reading is None:
                return None
        direction, anchor, end = reading.direction, None, max(quantity.text_end, reading.end)
        placed = self.placer.placed(text, cues, quantity.text_end, reading.direction, reading.comparator,
                                     mentions, is_time)
        if placed is not None:
            direction, anchor, anchor_end = placed
            end = max(end, anchor_end)
        if is_time:
            direction, anchor = self._timed(doc, quantity, reading, direction, anchor)
        reading.direction, reading.anchor, reading.end = (direction, anchor, end) if is_time else (None, None, end)
        return reading

    def _stated(self, text: str, quantity: Quantity, cues: list[Cue], flags: list[Flag],
                mentions: list[Mention]) -> Optional[Reading]:
        """The comparator the text states for ``quantity``: a range, a prefix, the bound of a range end read apart
        or a postfix; the reading's direction is a prefix time relation's, its end where the postfix ends."""
        end = quantity.text_end
        prefix = _prefix_cue(text, cues, quantity.start, self.prefix_gap, self.gaps)
        if prefix is None and quantity.unit is not None and quantity.unit.end <= quantity.start:
            prefix = _prefix_cue(text, cues, quantity.unit.start, self.prefix_gap, self.gaps)  # "≥ grade II": the scale stands between
        if prefix is not None and prefix.kind == "time_relation" and quantity.unit is None:
            prefix = None  # "in the last five diary entries": a count, not a time window
        if quantity.value_high is not None:
            return Reading(Comparator.BETWEEN.value, quantity.rule, prefix.start if prefix else None, flags, end=end)
        if prefix is not None and prefix.value:
            if prefix.respelled:
                flags.append(_flag(FlagKind.COMPARATOR_SPELLING, prefix, prefix.value))
            direction = prefix.direction if prefix.kind == "time_relation" else None
            return Reading(prefix.value, prefix.rule, prefix.start, flags, direction=direction, end=end)
        if quantity.bound is not None:  # an end of a range read apart: ">= 1 hour" of "between 1 hour and 28 days"
            return Reading(quantity.bound, "implicit.range_end", None, flags, end=end)
        postfix = (postfix_cue(text, cues, end, "comparator") or postfix_cue(text, cues, quantity.end, "comparator")
                   or _measure_after(text, cues, end)
                   # "150/95 or higher": the words after a pair's second value bound both values
                   or (postfix_cue(text, cues, quantity.pair_end, "comparator") if quantity.pair_end else None))
        measure = _postfix_after_measure(text, cues, mentions, end) if postfix is None else None
        if measure is not None:  # the measure between stays the value's subject: the reading ends before it
            flags.append(Flag(kind=FlagKind.POSTFIX_COMPARATOR, read=measure.text,  # on the comparator's words
                              understood=f"{measure.value} {text[quantity.start:quantity.text_end]}",
                              start=measure.start, end=measure.end, rule=measure.rule))
            return Reading(measure.value, measure.rule, None, flags, end=end)
        if postfix is None or _SUM.match(text, postfix.start):  # "18+ years", not "24 + 0 weeks"
            return None
        flags.append(Flag(kind=FlagKind.POSTFIX_COMPARATOR, read=text[quantity.start:postfix.end],
                          understood=f"{postfix.value} {text[quantity.start:quantity.text_end]}",
                          start=quantity.start, end=postfix.end, rule=postfix.rule))
        return Reading(postfix.value, postfix.rule, None, flags, end=max(end, postfix.end))

    def _timed(self, doc: Doc, quantity: Quantity, reading: Reading, direction: Optional[str],
               anchor: Optional[str]) -> tuple[Optional[str], Optional[str]]:
        """The direction and anchor of an amount of time (an ancestor's when it names none), and the comparator of
        one that has none of its own."""
        text = text_of(doc)
        inherited = None
        if anchor is None and (reading.direction is not None or reading.comparator == "implicit"):
            # a plain comparison ("< 6 months" in a table of ages) is not placed by its parent's "before <event>"
            inherited = self.placer.inherited(doc._.cp_context or ())
            if inherited is not None:
                direction, anchor, flag = inherited
                reading.flags.append(flag)
        if reading.comparator == "implicit":
            # under a parent's "before <event>" a bare amount is a window ("2 weeks received ...");
            # with its own anchor it states the amount ("six months prior to enrollment")
            if direction == "before" and inherited is not None:
                unit = quantity.unit.text if quantity.unit else ""
                reading.flags.append(Flag(kind=FlagKind.IMPLICIT_COMPARATOR, read=text[quantity.start:quantity.text_end],
                                          understood=f"<= {quantity.value:g} {unit} (within)", start=quantity.start,
                                          end=quantity.text_end, rule="implicit.within"))
                reading.comparator = Comparator.LE.value
            else:  # a stated amount of time: "for 6 weeks", "a 2-year history"
                reading.comparator, reading.rule = Comparator.EQ.value, "implicit.amount"
        return direction, anchor

    def _implicit(self, doc: Doc, quantity: Quantity, is_time: bool, flags: list[Flag],
                  mentions: list[Mention], last: Optional[Constraint]) -> Optional[Reading]:
        """A quantity without comparator: an amount of time, a value on a scale, or an amount with a unit.

        A value listed after an ``=`` value ("ECOG 0 or 1", "stage 4 or 5", "grade II/III") is another
        ``=`` value of the same measure.
        """
        text = text_of(doc)
        if quantity.paired:
            if last is None or not (quantity.unit is not None or self.paired_subjects & {last.subject}):
                return None  # "2/10", "4/1/2019": not a pair of values of one measure
            return Reading(last.comparator, "implicit.paired_value", None, flags)
        restated = self._restated(text, quantity, last)
        if restated is not None:
            return Reading(last.comparator, restated, None, flags, listed_after=last)  # type: ignore[union-attr]
        if last is not None and (
                (last.comparator == Comparator.EQ.value and self.listed.fullmatch(text[last.end:quantity.start]))
                or (quantity.unit is not None and last.unit_text is not None and last.value_high is None
                    and normalize(quantity.unit.text) == normalize(last.unit_text)
                    and self.listed.fullmatch(text[_unit_end(text, last):quantity.start]))):
            # "above 20 g and 30 g": a value listed after another with the same unit shares its comparator
            return Reading(last.comparator, "implicit.listed_value", None, flags, listed_after=last)
        if is_time and not _MODIFIER.match(text, quantity.end):
            return Reading("implicit", "implicit.within", None, flags)
        if quantity.unit is None and quantity.category is None and (
                postfix_cue(text, doc._.cp_cues or [], quantity.text_end, "count")  # "four of the following"
                or (not text[:quantity.start].strip() and _COUNTED.match(text, quantity.end))):  # "Two parents"
            return Reading(Comparator.EQ.value, "implicit.count", None, flags)
        if quantity.reference is not None:  # "three times the upper limit of normal", "twice higher than normal"
            return Reading(quantity.reference.comparator or Comparator.EQ.value,
                            quantity.reference.comparator_rule or "implicit.amount", None, flags)
        unit = quantity.unit
        if quantity.rule == "quantity.roman" and _names_a_kind(text, quantity, doc._.cp_cues or [], mentions, self.gaps):
            return None  # "Type I or II diabetes mellitus" names two diabetes types, as LCT and Chia mark it
        if quantity.rule == "quantity.roman" and self.listed_roman.match(text, quantity.end):
            return Reading(Comparator.EQ.value, "implicit.listed_category", None, flags)  # "bipolar I and II"
        if unit is not None and unit.dimension == "score" and unit.start < quantity.start:
            return Reading(Comparator.EQ.value, "implicit.scale_value", None, flags)
        nearest = next((m for m in reversed(mentions) if m.end <= quantity.start), None)
        if (nearest is not None and nearest.entry.category == "score" and (unit is None or unit.dimension == "score")
                and len(text[nearest.end:quantity.start].split()) <= 3):
            return Reading(Comparator.EQ.value, "implicit.score_value", None, flags)
        if unit is not None and quantity.category is None and not _MODIFIER.match(text, quantity.end):
            return Reading(Comparator.EQ.value, "implicit.amount", None, flags)
        return None

    def _restated(self, text: str, quantity: Quantity, last: Optional[Constraint]) -> Optional[str]:
        """The rule by which ``quantity`` restates the limit before it, or None: in brackets, in another unit
        ("< 50 mg/dL (2.7 mmol/L)", "at least 60 kg (132 lbs)"), or for another group, in a unit of the same
        dimension ("60 kg (132 lbs) for men and 48 kg for women")."""
        if last is None or quantity.unit is None or last.unit is None or last.value_high is not None:
            return None
        gap = text[last.text_end:quantity.start]
        if _BRACKET_OPEN.fullmatch(gap):
            return "implicit.restated_value"
        if self.gaps.for_group.fullmatch(gap) and self.dimensions.get(last.unit) == quantity.unit.dimension:
            return "implicit.listed_value"
        return None



def _unit_end(text: str, constraint: Constraint) -> int:
    """Where the unit written after a constraint's value ends (its words may go on: a subject written after it)."""
    at = text.find(constraint.unit_text or "", constraint.end)
    return at + len(constraint.unit_text or "") if at >= 0 else constraint.text_end


def _not_a_value(text: str, quantity: Quantity, cues: list[Cue], gaps: _Gaps) -> bool:
    """Whether ``quantity`` is a sample size ("(n=16)"), the size of a scale ("on a 0-10 numeric scale") or part
    of an anchor's name ("Cycle 1 Day 1", "visit 1")."""
    if any(c.kind == "label" and c.end <= quantity.start and not text[c.end:quantity.start].strip() for c in cues):
        return True
    if any(c.kind == "anchor" and c.start <= quantity.start and quantity.end <= c.end for c in cues):
        return True
    return bool(gaps.scale_opener.search(text, max(0, quantity.start - GAP_LIMIT), quantity.start)) and any(
        c.kind == "scale" and c.start >= quantity.text_end and _SCALE_GAP.match(text[quantity.text_end:c.start])
        for c in cues)


def _names_a_kind(text: str, quantity: Quantity, cues: list[Cue], mentions: list[Mention], gaps: _Gaps) -> bool:
    """Whether a roman numeral is part of a kind's name: right after a ``kind_name`` cue or the numerals listed
    after one ("Type I or II diabetes", "Diabetes Type I and II", "factors II,V,VII and X"), unless the cue's
    words belong to a scale of the lexicon ("Fitzpatrick type III"); a ``kind_scale`` cue ("skin type III or
    IV") is no ``kind_name`` cue; and before a ``kind_head`` cue, past the numerals listed after it ("class I or
    III antiarrhythmic drugs")."""
    for cue in cues:
        if cue.kind == "kind_name" and cue.end <= quantity.start and gaps.kind.fullmatch(text[cue.end:quantity.start]):
            return not any(m.entry.category == "score" and m.start < cue.end and cue.start < m.end for m in mentions)
        if (cue.kind == "kind_head" and cue.start >= quantity.end
                and gaps.kind_head.fullmatch(text[quantity.end:cue.start])):
            return True
    return False


def _prefix_cue(text: str, cues: list[Cue], position: int, prefix_gap: re.Pattern[str], gaps: _Gaps
                ) -> Optional[Cue]:
    """The comparator or time relation that ends right before ``position``, longest first."""
    best = None
    for cue in cues:
        if (cue.end > position or position - cue.end > GAP_LIMIT or cue.kind not in ("comparator", "time_relation")
                or cue.position == "postfix"):
            continue
        if cue.kind == "time_relation" and not cue.value:
            continue
        gap = gaps.measure if cue.position == "measure" else prefix_gap
        if gap.match(text[cue.end:position]) and (best is None or cue.end > best.end or
                                                          (cue.end == best.end and cue.start < best.start)):
            best = cue
    return best


def _postfix_after_measure(text: str, cues: list[Cue], mentions: list[Mention], position: int) -> Optional[Cue]:
    """A postfix comparator after "of" and the measure the value is of: "150 cm of height or greater" is >= 150."""
    of = _OF_MEASURE.match(text, position)
    measure = next((m for m in mentions if of and m.start == of.end()), None)
    return postfix_cue(text, cues, measure.end, "comparator") if measure else None


def _measure_after(text: str, cues: list[Cue], position: int) -> Optional[Cue]:
    """A comparator sign between a value and the measure after it, as mirrored for the value: "145 mmHg ≤ SBP"
    states SBP >= 145."""
    for cue in cues:
        if (cue.kind == "comparator" and cue.position == "prefix" and cue.value in _MIRRORED
                and position <= cue.start <= position + GAP_LIMIT and not text[position:cue.start].strip()
                and not re.search(r"[^\W\d_]", cue.text) and _WORD_AFTER.match(text, cue.end)):
            return replace(cue, value=_MIRRORED[cue.value])
    return None


def _flag(kind: FlagKind, cue: Cue, understood: str) -> Flag:
    return Flag(kind=kind, read=cue.text, understood=understood, start=cue.start, end=cue.end, rule=cue.rule)
