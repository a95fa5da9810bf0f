"""``criteria_constraints``: assemble quantities, cues and mentions into constraints.

Reads ``doc._.cp_quantities``, ``doc._.cp_cues``, ``doc._.cp_mentions`` and
``doc._.cp_context``; writes ``doc._.cp_constraints`` (``model.Constraint``
list, offsets relative to the doc), ``doc._.cp_exceptions`` and
``doc._.cp_any_children``.

For each quantity, in order: the comparator is the prefix comparator or time
relation right before it (a "measure" comparator may name its measure first:
"minimum disease duration of 5 years"), a postfix comparator right after it
("92% or higher") or a sign between it and the measure it bounds, mirrored
("145 mmHg ≤ SBP" is SBP >= 145), ``between`` for a range (``>=`` and ``<=`` for the ends of a
range read apart), ``=`` for a bare value of a score
("ECOG 0 or 1"), a count ("four of the following") or a listed category
("Axis I or II"), the comparator of the value it is listed after with the same
unit ("above 20 g and 30 g"), or, for a time amount under an inherited
"before <event>", an implied ``<=`` (flagged); a quantity with none of these,
a sample size "(n=20)" or the size of a scale ("on a 0-10 scale") is not a
constraint. The
subject is the nearest lexicon mention before the comparator since the last
constraint (all of them when they are coordinated: "ALT/AST"), else the first
after the quantity, else the previous constraint's subject when an "or" joins
them. Garbled units are resolved by the subject's plausible ranges
(``lexicon.jsonl``). Constraints joined by "or"/"and/or" share a group; those
inside an "except ..." clause have the role ``exception``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc

from ..grammar.loader import Grammars, LexiconEntry, load_grammars
from ..model import Comparator, Constraint, ConstraintKind, Flag, FlagKind, Role
from .comparators import CueFinder
from .types import Cue, Mention, Quantity, register_extensions, text_of
from ..grammar.phrases import compile_phrases, normalize
from .quantities import ROMAN, joiner_pattern

#: What a "measure" comparator may name before its value: "minimum disease duration of 5", "Maximum Age: 99".
_MEASURE_GAP = re.compile(r"^\s+(?:[^\W\d_][\w-]*\s+){0,2}[^\W\d_][\w-]*(?:\s*:|\s+(?:of|was|is))\s*$")
_PARENTHESIZED = re.compile(r"^\s*(\([^()]*\))\s*$")
_CLAUSE_BREAK = re.compile(r"[;\n]|\.\s")
#: A hyphenated amount before a noun modifies it ("2-hour glucose load", "10-point scale"): no value of its own.
_MODIFIER = re.compile(r"-[^\W\d_]+[ \t]+[^\W\d_]")
#: A noun counted by the bare number a criterion opens with ("Four video-recordings", "12 seizures").
_COUNTED = re.compile(r"[ \t]+[^\W\d_]")
#: Before the size of a scale, and between it and the word "scale": "on a 0-10 pain intensity numeric scale".
_ON_A = re.compile(r"\bon\s+(?:an?\s+|the\s+)?$", re.IGNORECASE)
_SCALE_GAP = re.compile(r"^[\s-]*(?:[^\W\d_][\w-]*\s+){0,3}$")
#: A comparator sign as read from the value written before it, and the measure word that must follow it.
_MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
_WORD_AFTER = re.compile(r"\s*[^\W\d_]")
#: A plus between numbers is a sum ("24 + 0 weeks", "groups 1+2"), and one before a minus opens a tolerance
#: ("23 +/- 4", "23 +- 4"): not "or more".
_SUM = re.compile(r"\+\s*(?:\d|/?\s*-)")


@dataclass
class _Reading:
    """What was decided for one quantity before subjects multiply it into constraints."""

    comparator: str
    rule: str
    cue_start: Optional[int]
    flags: list[Flag]
    direction: Optional[str] = None
    anchor: Optional[str] = None
    end: int = 0
    listed_after: Optional[Constraint] = None  # the "=" value this one is listed after ("stage 4 or 5")


class ConstraintAssembler:
    """Turns the matches of one doc into constraints, with the rules of one grammar set."""

    def __init__(self, grammars: Grammars) -> None:
        self.cue_finder = CueFinder(grammars)
        self.time_units = {u.ucum for u in grammars.units if u.dimension == "time"}
        self.dimensions = {u.ucum: u.dimension for u in grammars.units}
        self.paired_subjects = {e.name for e in grammars.lexicon if e.paired}
        fillers = grammars.cue_phrases("value_filler")
        #: what may stand between a prefix comparator and its number ("minimum of approximately 12")
        #: between two listed values: "0 or 1", "1, 2 or 3", "II/III", "III and IV"
        self.listed = joiner_pattern(grammars, "listing")
        #: roman numerals listed together are categories of one scale, named or not: "Axis I or II", "III/IV"
        self.listed_roman = re.compile(self.listed.pattern + ROMAN, re.IGNORECASE)
        #: between coordinated subjects: "ALT/AST", "ALT and AST", "Alanine aminotransferase (ALT)/..."; the
        #: phrases of one word only (", or" is "," and "or"), so the repetition cannot backtrack over spaces
        single = [p for p in grammars.cue_phrases("listing") if " " not in p]
        self.coordination = re.compile(r"(?:[\s()]|" + compile_phrases(single).pattern + r")*", re.IGNORECASE)
        self.prefix_gap = re.compile(r"^[\s:(]*(?:(?:" + "|".join(map(re.escape, fillers)) + r")\s+)?[\s(]*$",
                                     re.IGNORECASE)

    def assemble(self, doc: Doc) -> list[Constraint]:
        """Constraints of ``doc``; also sets ``cp_exceptions`` and ``cp_any_children``."""
        text = text_of(doc)
        cues: list[Cue] = doc._.cp_cues or []
        mentions: list[Mention] = doc._.cp_mentions or []
        doc._.cp_exceptions = _exception_spans(text, cues)
        doc._.cp_any_children = any(c.kind == "any_children" for c in cues)
        constraints: list[Constraint] = []
        previous: Optional[tuple[list[Mention], int, int]] = None  # subjects, group, end
        group = -1
        listed: list[tuple[Constraint, list[Constraint], bool]] = []  # value, values listed after it, joined by "or"
        after_end = -1  # where the previous value's subject ends, when written after it ("140 mmHg systolic")
        low_end: Optional[Quantity] = None  # the low end of a range read apart, whose subject its high end shares
        for quantity in doc._.cp_quantities or []:
            reading = self._read(doc, quantity, cues, mentions, constraints[-1] if constraints else None)
            if reading is None:
                continue
            subject_end = reading.cue_start if reading.cue_start is not None else quantity.start
            window_start = previous[2] if previous else 0
            subjects = self._subjects_before(text, mentions, window_start, subject_end)
            if (after_end >= 0 and self.listed.fullmatch(text[after_end:subject_end])
                    and self._subject_after(text, mentions, quantity)):
                subjects = []  # "140 mmHg systolic and/or 90 mmHg diastolic": written after, like the one before
            right = False
            if not subjects and reading.listed_after is not None and previous is not None:
                subjects = previous[0]  # "ASA I and II undergoing surgery": II is an ASA class too
            if not subjects:
                subjects = self._subject_after(text, mentions, quantity)
                right = bool(subjects)
            joined_by_or = previous is not None and self._alternative(cues, previous[2], subject_end)
            apart = low_end is not None and low_end.upper is quantity
            if not subjects and previous is not None and (
                    joined_by_or or apart or not text[previous[2]:subject_end].strip(" ,")):
                subjects = previous[0]
            if not (joined_by_or and previous is not None and subjects == previous[0]):
                group += 1
            after_end = max(m.end for m in subjects) if right else -1
            built = self._build(text, quantity, reading, subjects, right, group, mentions, doc)
            group += len(built) - 1  # coordinated subjects ("ALT/AST <= 3 x ULN") must each hold
            if reading.listed_after is not None:
                listed.append((reading.listed_after, built, joined_by_or))
            constraints.extend(built)
            previous = (subjects, group, max(quantity.text_end, reading.end))
            low_end = quantity if quantity.upper is not None else None
        _share_alternative_groups(listed)
        return constraints

    # -- comparator, direction, anchor ------------------------------------------------------------

    def _read(self, doc: Doc, quantity: Quantity, cues: list[Cue], mentions: list[Mention],
              last: Optional[Constraint]) -> Optional[_Reading]:
        text = text_of(doc)
        if any(c.kind == "label" and c.end <= quantity.start and not text[c.end:quantity.start].strip()
               for c in cues):
            return None  # "(n=16)": a sample size, not a criterion
        if _ON_A.search(text, 0, quantity.start) and any(
                c.kind == "scale" and c.start >= quantity.text_end
                and _SCALE_GAP.match(text[quantity.text_end:c.start]) for c in cues):
            return None  # "on a 0-10 numeric scale": the scale's size
        end = quantity.text_end
        flags = list(quantity.flags)
        prefix = _prefix_cue(text, cues, quantity.start, self.prefix_gap)
        if prefix is None and quantity.unit is not None and quantity.unit.end <= quantity.start:
            prefix = _prefix_cue(text, cues, quantity.unit.start, self.prefix_gap)  # "≥ grade II": the scale stands between
        if prefix is not None and prefix.kind == "time_relation" and quantity.unit is None:
            prefix = None  # "in the last five diary entries": a count, not a time window
        postfix = (_postfix_cue(text, cues, end, "comparator") or _postfix_cue(text, cues, quantity.end, "comparator")
                   or _measure_after(text, cues, end))
        if postfix is not None and _SUM.match(text, postfix.start):  # "18+ years", not "24 + 0 weeks"
            postfix = None
        relation_after = _postfix_cue(text, cues, end, "time_relation")
        is_time = quantity.unit is not None and set(quantity.unit.candidates) <= self.time_units
        direction = anchor = None
        if relation_after is not None and relation_after.direction:
            anchor_cue = _postfix_cue(text, cues, relation_after.end, "anchor")
            if anchor_cue is not None:
                direction, anchor = relation_after.direction, anchor_cue.value
                end = max(end, anchor_cue.end)
        if quantity.value_high is not None:
            reading = _Reading(Comparator.BETWEEN.value, quantity.rule, prefix.start if prefix else None, flags)
        elif prefix is not None and prefix.value:
            reading = _Reading(prefix.value, prefix.rule, prefix.start, flags)
            if prefix.kind == "time_relation":
                direction = direction or prefix.direction
            if prefix.respelled:
                flags.append(_flag(FlagKind.COMPARATOR_SPELLING, prefix, prefix.value))
        elif quantity.bound is not None:  # an end of a range read apart: ">= 1 hour" of "between 1 hour and 28 days"
            reading = _Reading(quantity.bound, "implicit.range_end", None, flags)
        elif postfix is not None:
            reading = _Reading(postfix.value, postfix.rule, None, flags)
            flags.append(Flag(kind=FlagKind.POSTFIX_COMPARATOR, read=text[quantity.start:postfix.end],
                              understood=f"{postfix.value} {text[quantity.start:quantity.text_end]}",
                              start=quantity.start, end=postfix.end, rule=postfix.rule))
            end = max(end, postfix.end)
        else:
            reading = self._implicit(doc, quantity, is_time, flags, mentions, last)
            if reading is None:
                return None
        inherited = None
        if is_time and anchor is None:
            inherited = self._inherited(doc._.cp_context or ())
            if inherited is not None:
                direction, anchor, flag = inherited
                flags.append(flag)
        if is_time and reading.comparator == "implicit":
            # under a parent's "before <event>" a bare amount is a window ("2 weeks received ...");
            # with its own anchor it states the amount ("six months prior to enrollment")
            if direction == "before" and inherited is not None:
                unit = quantity.unit.text if quantity.unit else ""
                flags.append(Flag(kind=FlagKind.IMPLICIT_COMPARATOR, read=text[quantity.start:quantity.text_end],
                                  understood=f"<= {quantity.value:g} {unit} (within)", start=quantity.start,
                                  end=quantity.text_end, rule="implicit.within"))
                reading.comparator = Comparator.LE.value
            else:  # a stated amount of time: "for 6 weeks", "a 2-year history"
                reading.comparator, reading.rule = Comparator.EQ.value, "implicit.amount"
        reading.direction, reading.anchor, reading.end = (direction, anchor, end) if is_time else (None, None, end)
        return reading

    def _implicit(self, doc: Doc, quantity: Quantity, is_time: bool, flags: list[Flag],
                  mentions: list[Mention], last: Optional[Constraint]) -> Optional[_Reading]:
        """A quantity without comparator: an amount of time, a value on a scale, or an amount with a unit.

        A value listed after an ``=`` value ("ECOG 0 or 1", "stage 4 or 5", "grade II/III") is another
        ``=`` value of the same measure.
        """
        text = text_of(doc)
        if quantity.paired:
            if last is None or not (quantity.unit is not None or self.paired_subjects & {last.subject}):
                return None  # "2/10", "4/1/2019": not a pair of values of one measure
            return _Reading(last.comparator, "implicit.paired_value", None, flags)
        if last is not None and (
                (last.comparator == Comparator.EQ.value and self.listed.fullmatch(text[last.end:quantity.start]))
                or (quantity.unit is not None and last.unit_text is not None and last.value_high is None
                    and normalize(quantity.unit.text) == normalize(last.unit_text)
                    and self.listed.fullmatch(text[last.text_end:quantity.start]))):
            # "above 20 g and 30 g": a value listed after another with the same unit shares its comparator
            return _Reading(last.comparator, "implicit.listed_value", None, flags, listed_after=last)
        if is_time and not _MODIFIER.match(text, quantity.end):
            return _Reading("implicit", "implicit.within", None, flags)
        if quantity.unit is None and quantity.category is None and (
                _postfix_cue(text, doc._.cp_cues or [], quantity.text_end, "count")  # "four of the following"
                or (not text[:quantity.start].strip() and _COUNTED.match(text, quantity.end))):  # "Two parents"
            return _Reading(Comparator.EQ.value, "implicit.count", None, flags)
        if quantity.reference is not None:  # "three times the upper limit of normal", "twice higher than normal"
            return _Reading(quantity.reference.comparator or Comparator.EQ.value,
                            quantity.reference.comparator_rule or "implicit.amount", None, flags)
        unit = quantity.unit
        if quantity.rule == "quantity.roman" and self.listed_roman.match(text, quantity.end):
            return _Reading(Comparator.EQ.value, "implicit.listed_category", None, flags)  # "bipolar I and II"
        if unit is not None and unit.dimension == "score" and unit.start < quantity.start:
            return _Reading(Comparator.EQ.value, "implicit.scale_value", None, flags)
        nearest = next((m for m in reversed(mentions) if m.end <= quantity.start), None)
        if (nearest is not None and nearest.entry.category == "score" and (unit is None or unit.dimension == "score")
                and len(text[nearest.end:quantity.start].split()) <= 3):
            return _Reading(Comparator.EQ.value, "implicit.score_value", None, flags)
        if unit is not None and quantity.category is None and not _MODIFIER.match(text, quantity.end):
            return _Reading(Comparator.EQ.value, "implicit.amount", None, flags)
        return None

    def _inherited(self, context: list[tuple[str, int]]) -> Optional[tuple[str, str, Flag]]:
        """Direction and anchor stated by an ancestor criterion ("... before infusion, ... any one ...")."""
        for ancestor_text, offset in context:
            cues = self.cue_finder.find(ancestor_text)
            for relation in cues:
                if relation.kind != "time_relation" or not relation.direction:
                    continue
                anchor = _postfix_cue(ancestor_text, cues, relation.end, "anchor")
                if anchor is not None:
                    read = ancestor_text[relation.start:anchor.end]
                    # offsets may be negative here (the ancestor comes before this doc); the parser shifts them
                    flag = Flag.model_construct(kind=FlagKind.INHERITED.value, read=read,
                                understood=f"{relation.direction} {anchor.value} (from the parent criterion)",
                                start=relation.start + offset, end=anchor.end + offset, rule=anchor.rule)
                    return relation.direction, anchor.value, flag
        return None

    # -- subjects ---------------------------------------------------------------------------------

    def _subjects_before(self, text: str, mentions: list[Mention], start: int, end: int) -> list[Mention]:
        """The subject mentions before a comparator: the nearest, or all of a coordinated run."""
        window = [m for m in mentions if m.start >= start and m.end <= end and m.entry.category != "method"]
        breaks = [b.end() for b in _CLAUSE_BREAK.finditer(text, start, end)]
        if breaks:
            window = [m for m in window if m.start >= breaks[-1]] or window[-1:]
        if not window:
            return []
        run = [window[-1]]
        for mention in reversed(window[:-1]):
            if not self.coordination.fullmatch(text[mention.end:run[0].start]):
                break
            run.insert(0, mention)
        return run

    @staticmethod
    def _subject_after(text: str, mentions: list[Mention], quantity: Quantity) -> list[Mention]:
        """A subject named after the quantity in the same clause ("within 72 hours of targeted therapy")."""
        for mention in mentions:
            if mention.start < quantity.end or mention.entry.category == "method":
                continue
            if _CLAUSE_BREAK.search(text, quantity.end, mention.start) or "(" in text[quantity.end:mention.start]:
                return []
            return [mention]
        return []

    @staticmethod
    def _alternative(cues: list[Cue], start: int, end: int) -> bool:
        return any(c.kind == "alternative" and c.start >= start and c.end <= end for c in cues)

    # -- building ---------------------------------------------------------------------------------

    def _build(self, text: str, quantity: Quantity, reading: _Reading, subjects: list[Mention], right: bool,
               group: int, mentions: list[Mention], doc: Doc) -> list[Constraint]:
        entries: list[LexiconEntry] = []
        for mention in subjects:
            if mention.entry not in entries:
                entries.append(mention.entry)
        qualifier = _qualifier(text, mentions, quantity.text_end)
        role = Role.EXCEPTION if any(s <= quantity.start < e for s, e in doc._.cp_exceptions) else Role.CONDITION
        out = []
        for index, entry in enumerate(entries or [None]):
            own = [m for m in subjects if m.entry is entry]
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
            kind = self._kind(quantity, reading, unit, entry)
            starts = [quantity.start] + ([reading.cue_start] if reading.cue_start is not None else [])
            ends = [reading.end, quantity.text_end] + ([qualifier[2]] if qualifier else [])
            if subject_start is not None:
                (ends if right else starts).append(subject_start if not right else own[-1].end)
            text_start, text_end = min(starts), max(ends)
            out.append(Constraint(
                kind=kind,
                subject=entry.name if entry else None,
                subject_text=subject_text,
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
                group=group + index,
                start=quantity.start,
                end=quantity.end,
                text=text[text_start:text_end],
                text_start=text_start,
                text_end=text_end,
                flags=sorted(flags, key=lambda f: f.start),
                rule=reading.rule,
            ))
        return out

    def _kind(self, quantity: Quantity, reading: _Reading, unit: Optional[str], entry: Optional[LexiconEntry]) -> str:
        if quantity.category is not None:
            return ConstraintKind.CATEGORY.value
        if quantity.reference is not None:
            return ConstraintKind.RELATIVE_LIMIT.value
        if reading.comparator == Comparator.BETWEEN.value:
            return ConstraintKind.RANGE.value
        if unit in self.time_units and not (entry and (entry.category == "demographic" or entry.unit in self.time_units)):
            return ConstraintKind.TIME_WINDOW.value  # but a subject measured in time (age, gestational age) is not
        if (entry and entry.category == "drug") or self.dimensions.get(unit or "") == "dose_rate":
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


def _share_alternative_groups(listed: list[tuple[Constraint, list[Constraint], bool]]) -> None:
    """Values listed one after another are alternatives together when an "or" joins any two of them ("ASA I, II
    or III"), or when they are "=" values, which one measure cannot all take at once ("ASA I and II"): all take
    the first one's group. Other lists stay as they are ("above 20 g and 30 g")."""
    first: dict[int, Constraint] = {}  # id of a listed value -> the first value of its list
    lists: dict[int, tuple[list[Constraint], list[bool]]] = {}
    for earlier, later, by_or in listed:
        head = first.setdefault(id(earlier), earlier)
        members, joins = lists.setdefault(id(head), ([head], []))
        for constraint in later:
            first[id(constraint)] = head
            members.append(constraint)
        joins.append(by_or)
    for members, joins in lists.values():
        if any(joins) or all(c.comparator == "=" for c in members):
            for constraint in members:
                constraint.group = members[0].group


def _prefix_cue(text: str, cues: list[Cue], position: int, prefix_gap: re.Pattern[str]) -> Optional[Cue]:
    """The comparator or time relation that ends right before ``position``, longest first."""
    best = None
    for cue in cues:
        if cue.end > position or cue.kind not in ("comparator", "time_relation") or cue.position == "postfix":
            continue
        if cue.kind == "time_relation" and not cue.value:
            continue
        gap = _MEASURE_GAP if cue.position == "measure" else prefix_gap
        if gap.match(text[cue.end:position]) and (best is None or cue.end > best.end or
                                                          (cue.end == best.end and cue.start < best.start)):
            best = cue
    return best


def _measure_after(text: str, cues: list[Cue], position: int) -> Optional[Cue]:
    """A comparator sign between a value and the measure after it, as mirrored for the value: "145 mmHg ≤ SBP"
    states SBP >= 145."""
    for cue in cues:
        if (cue.kind == "comparator" and cue.position == "prefix" and cue.value in _MIRRORED
                and cue.start >= position and not text[position:cue.start].strip()
                and not re.search(r"[^\W\d_]", cue.text) and _WORD_AFTER.match(text, cue.end)):
            return replace(cue, value=_MIRRORED[cue.value])
    return None


def _postfix_cue(text: str, cues: list[Cue], position: int, kind: str) -> Optional[Cue]:
    """The cue of ``kind`` that starts right after ``position`` (only spaces, ')' or 'the' between)."""
    best = None
    for cue in cues:
        if cue.kind != kind or cue.start < position or (kind == "comparator" and cue.position != "postfix"):
            continue
        if re.match(r"^[\s)]*(?:the\s+)?$", text[position:cue.start], re.IGNORECASE):
            if best is None or cue.end - cue.start > best.end - best.start:
                best = cue
    return best


def _exception_spans(text: str, cues: list[Cue]) -> list[tuple[int, int]]:
    """Each "except ..." clause: to the ')' that closes an open parenthesis, else to the clause end."""
    spans = []
    for cue in cues:
        if cue.kind != "exception":
            continue
        depth = text.count("(", 0, cue.start) - text.count(")", 0, cue.start)
        end = len(text)
        if depth > 0:
            level = 0
            for i in range(cue.end, len(text)):
                if text[i] == "(":
                    level += 1
                elif text[i] == ")":
                    if level == 0:
                        end = i
                        break
                    level -= 1
        else:
            stop = re.compile(r";|\.(?:\s|$)").search(text, cue.end)
            end = stop.start() if stop else len(text)
        spans.append((cue.start, end))
    return spans


def _qualifier(text: str, mentions: list[Mention], position: int) -> Optional[tuple[str, int, int]]:
    """A method named right after a value: ">1% (flow cytometry)"."""
    for mention in mentions:
        if mention.entry.category == "method" and mention.start >= position:
            if re.match(r"^[\s(]*(?:by|on|using|per)?[\s(]*$", text[position:mention.start], re.IGNORECASE):
                close = re.match(r"\s*\)", text[mention.end:])
                return mention.entry.name, mention.start, mention.end + (close.end() if close else 0)
            return None
    return None


def _subject_text(text: str, own: list[Mention], comparator_start: int, right: bool):
    """The subject as written, and a kept-as-text flag for unrecognized words in parentheses before the value."""
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


def _typo_flags(mentions: list[Mention]) -> list[Flag]:
    flags = []
    for mention in mentions:
        if mention.typo:
            read, understood, start, end = mention.typo
            flags.append(Flag(kind=FlagKind.TYPO, read=read, understood=understood, start=start, end=end,
                              rule=mention.entry.id))
    return flags


def _flag(kind: FlagKind, cue: Cue, understood: str) -> Flag:
    return Flag(kind=kind, read=cue.text, understood=understood, start=cue.start, end=cue.end, rule=cue.rule)


@Language.factory(
    "criteria_constraints",
    assigns=["doc._.cp_constraints", "doc._.cp_exceptions", "doc._.cp_any_children"],
    requires=["doc._.cp_quantities", "doc._.cp_cues", "doc._.cp_mentions"],
    default_config={"grammars_dir": None},
)
def make_constraints(nlp: Language, name: str, grammars_dir: Optional[str]) -> "ConstraintsComponent":
    """Factory: ``nlp.add_pipe("criteria_constraints")``."""
    return ConstraintsComponent(load_grammars(Path(grammars_dir) if grammars_dir else None))


class ConstraintsComponent:
    """Pipeline step that sets ``doc._.cp_constraints``."""

    def __init__(self, grammars: Grammars) -> None:
        register_extensions()
        self.assembler = ConstraintAssembler(grammars)

    def __call__(self, doc: Doc) -> Doc:
        doc._.cp_constraints = self.assembler.assemble(doc)
        return doc
