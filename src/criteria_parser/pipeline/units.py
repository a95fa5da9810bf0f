"""Units after a number: the forms of ``grammars/units.jsonl`` and the garbled forms of ``unit_repairs.jsonl``.

Used by ``criteria_quantities`` (:mod:`.quantities`). A unit may touch its number ("30kg/m2"), stand in
parentheses ("(mg/dL)") or after what the number counts ("15 headache days", "1-3 insulin injections per
day"); a unit followed by a ``per`` joiner of ``cues.jsonl`` and another unit makes a compound unit
("cigarettes per day" is ``{cigarettes}/d``); an amount may end in a smaller unit ("23 weeks 6 days",
``subunit``). A time unit misspelled by about one letter ("monhts") is read with the form it stands for, and a
garbled form keeps its candidate units for the constraint step to choose by plausibility.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from rapidfuzz import fuzz, process

from ..grammar.loader import Grammars
from ..grammar.phrases import compile_phrases, compile_source, normalize
from .comparators import comparator_signs
from .numbers import NumberReader, digits_value
from .references import ReferenceReader
from .types import UnitMatch

#: Between a number and its unit: spaces, an opening parenthesis, a hyphen before a word ("12-month"), a "+".
_SPACE = re.compile(r"(?:-(?=[^\W\d_])|\+?[ \t]*)(?:\(\s*)?")  # "18+ years": the "+" is a comparator
#: How far before a number a time relation is looked for ("within the past 3 m.").
_RELATION_REACH = 40
#: Where a criterion's line ends: nothing but spaces before the line break or the end of the text.
_LINE_END = re.compile(r"[ \t]*(?:$|[\r\n])")
#: The smaller part of an amount: "23+6 weeks" (before the unit), "23 weeks 6 days", "2 years and 3 months".
_PLUS_PART = re.compile(r"[ \t]*\+[ \t]*(?P<part>\d{1,2})(?![\d.,])")
#: One word between a number and the time unit it counts: "15 headache days".
_COUNTED_WORD = re.compile(r"[ \t]+([^\W\d_]{3,})[ \t]+")
#: A word of what is counted per unit of time: "3 alcoholic drinks per day", "1-3 bolus insulin injections a day";
#: a word with capitals inside is a unit of its own ("microMolar per minute").
_COUNTED_NOUN = re.compile(r"[ \t]+((?:[^\W\d_]|-)(?:[^\W\d_A-Z]|-)*)(?![\w])")
_COUNTED_NOUNS = 3
#: A slash touching a unit and a lower-case word that no unit form reads: the denominator of a rate ("mL/beat",
#: "mL/injection site"); spaced or capitalized, the slash lists ("< 80 mmHg / Mean arterial pressure < 50 mmHg").
_UNREAD_DENOMINATOR = re.compile(r"/(?P<word>(?-i:[a-z])[^\W\d_-]*)(?![\w])")
#: A word that may be a misspelled unit, and how close it must be to a unit form (rapidfuzz ratio).
_WORD = re.compile(r"[^\W\d_]{5,}(?![\w])")
_FUZZY_UNIT_CUTOFF = 80.0


class UnitReader:
    """Finds units with the rules of one grammar set.

    Args:
        grammars: the rules.
        numbers: what counts as a number word (never the noun a number counts).
        references: where a relative reference starts (never a counted noun either).
    """

    def __init__(self, grammars: Grammars, numbers: NumberReader, references: ReferenceReader) -> None:
        self._numbers = numbers
        self._references = references
        self._subunits = {u.ucum: u.subunit for u in grammars.units if u.subunit}
        #: the smaller part after the unit, after a ``subunit_joiner`` of cues.jsonl or none ("23 weeks and 6 days")
        self._and_part = re.compile(r"[ \t]*(?:(?:" + compile_source(grammars.cue_phrases("subunit_joiner"))
                                    + r")[ \t]+)?(?P<part>\d{1,2})(?![\d.,])")
        self._units: dict[str, tuple[str, tuple[str, ...], str, bool]] = {}
        sensitive, insensitive = [], []
        for unit in grammars.units:
            for form in unit.forms:
                key = form if unit.case_sensitive else normalize(form)
                self._units[key] = (unit.id, (unit.ucum,), unit.dimension, False)
                (sensitive if unit.case_sensitive else insensitive).append(form)
        for repair in grammars.unit_repairs:
            dims = {u.dimension for c in repair.candidates if (u := grammars.unit_by_ucum(c))}
            for form in repair.read:
                self._units[normalize(form)] = (repair.id, tuple(repair.candidates), dims.pop() if len(dims) == 1 else "other", True)
                insensitive.append(form)
        self._fuzzy_units = sorted(normalize(f) for u in grammars.units if u.dimension == "time"
                                   for f in u.forms if f.isalpha() and len(f) >= 5)
        # units are matched right after a number, which they may touch ("30kg/m2")
        self._unit_ci = compile_phrases(insensitive, glued=True)
        self._unit_cs = compile_phrases(sensitive, case_sensitive=True, glued=True)
        #: a time relation just before the number ends: "within 3 m." is months, though "at 750 m." is metres
        relations = [p for r in grammars.time_relations if r.position == "prefix" for p in r.phrases]
        self._timed_number = re.compile(r"(?:" + compile_phrases(relations).pattern + r")\s+\S+$", re.IGNORECASE)
        scales = [f for u in grammars.units if u.dimension == "score" for f in u.forms]
        self.scale_forms = compile_phrases(scales).pattern
        #: a scale named before its value, with a comparator sign between: "grade ≥ 2", "NYHA class >= III"
        self._scale_before = re.compile(r"(?<![\w])(?P<scale>" + self.scale_forms + r")[\s:]*(?:of\s+)?(?:(?:"
                                        + comparator_signs(grammars) + r")\s*)?$", re.IGNORECASE)
        postfixes = [p for c in grammars.comparators if c.position == "postfix" for p in c.phrases if p.isalpha() or " " in p]
        #: a postfix comparator may stand between a number and what it counts: "3 or more drinks a day"
        self._postfix_words = re.compile(r"\s+(?:" + compile_phrases(postfixes).pattern + r")(?![\w])", re.IGNORECASE)
        #: between the parts of a compound unit: "mg per day", "cigarettes/day", "drinks a week"
        self._per = joiner_pattern(grammars, "per")
        # pure functions of their arguments (the grammars never change after loading): a unit is read at the same
        # position of a criterion several times (after the number, after what it counts, as a denominator), and
        # the same words are looked up as misspelled units in many criteria
        self.read = lru_cache(maxsize=1024)(self.read)
        self._unit_typo = lru_cache(maxsize=1 << 14)(self._unit_typo)

    def read(self, text: str, position: int, compound: bool = True) -> Optional[UnitMatch]:
        """The unit written at ``position`` (after a number), with a compound unit's denominator (unless
        ``compound`` is false: a denominator has none of its own, so "mg/mg/mg/..." is read in one step)."""
        lead = _SPACE.match(text, position)
        start = lead.end()
        if start - position > 3:
            return None
        best = None
        for pattern in (self._unit_ci, self._unit_cs):
            found = pattern.match(text, start)
            if found and (best is None or found.end() > best.end()):
                best = found
        if best is None:
            return self._misspelled(text, start)
        form, end = best.group(), best.end()
        if (form.endswith(".") and _LINE_END.match(text, end) and normalize(form[:-1]) in self._units
                and not self._timed_number.search(text, max(0, position - _RELATION_REACH), position)):
            form, end = form[:-1], end - 1  # "at 750 m.": the full stop ends the criterion ("m." is months)
        unspaced = re.sub(r"\s*/\s*", "/", form)  # "mmol/ l" is "mmol/l"
        key = next((k for k in (form, unspaced, normalize(form), normalize(unspaced)) if k in self._units), None)
        if key is None:
            return None
        rule_id, candidates, dimension, repaired = self._units[key]
        per = self._per_unit(text, end) if compound else None
        if per is not None and not repaired:
            form, end = text[start:per.end], per.end
            candidates = (candidates[0] + ("" if per.candidates[0].startswith("/") else "/") + per.candidates[0],)
            dimension = "rate"
        unread = _UNREAD_DENOMINATOR.match(text, end) if compound and not repaired else None
        if unread is not None and self.read(text, end + 1, compound=False) is None:
            # "60 mL/beat" is a volume per beat, not "mL": the denominator as a UCUM annotation (a unit there is a
            # chain the reader leaves, "5 mg/mg/mg/...")
            form, end = text[start:unread.end()], unread.end()
            candidates = (f"{candidates[0]}/{{{unread.group('word')}}}",)
            dimension = "rate"
        opened = "(" in text[position:start]
        if opened:
            close = re.match(r"\s*\)", text[end:])
            if not close:
                return None  # "(mg" without ")": not a unit in parentheses
            end += close.end()
        return UnitMatch(start, end, form, candidates, dimension, rule_id, repaired)

    def after_number(self, text: str, position: int) -> Optional[UnitMatch]:
        """The unit of the number ending at ``position``: written right after it, or after what it counts."""
        return self.read(text, position) or self._counted_time(text, position) or self._counted_rate(text, position)

    def after_parenthesis(self, text: str, start: int, end: int) -> Optional[UnitMatch]:
        """The unit after a parenthesized range from ``start`` to ``end``: "between (16-24) weeks"."""
        closed = re.match(r"\s*\)", text[end:end + 3])
        if closed is None or not text[:start].rstrip().endswith("("):
            return None
        return self.read(text, end + closed.end())

    def compound(self, text: str, value: float, end: int, unit: Optional[UnitMatch]
                 ) -> tuple[float, int, Optional[UnitMatch]]:
        """An amount ending in a smaller unit (``subunit`` of ``units.jsonl``): "23 weeks 6 days" and "23+6 weeks"
        are 23 6/7 weeks. Returns the value, where the value's span ends, and the unit."""
        if unit is None:
            plus = _PLUS_PART.match(text, end)
            later = self.read(text, plus.end()) if plus else None
            if later is None or later.candidates[0] not in self._subunits:
                return value, end, unit
            return value + digits_value(plus.group("part")) / self._subunits[later.candidates[0]][1], plus.end(), later
        if unit.candidates[0] not in self._subunits:
            return value, end, unit
        part = self._and_part.match(text, unit.end)
        smaller = self.read(text, part.end()) if part else None
        subunit, count = self._subunits[unit.candidates[0]]
        if smaller is None or smaller.candidates != (subunit,) or digits_value(part.group("part")) >= count:
            return value, end, unit
        return value + digits_value(part.group("part")) / count, smaller.end, unit

    def scale_before(self, text: str, position: int) -> Optional[UnitMatch]:
        """The scale a value is read on, named right before it ("grade 3", "NYHA class III", "stage 4")."""
        found = self._scale_before.search(text, max(0, position - 24), position)
        if found is None:
            return None
        form = found.group("scale")
        rule_id, candidates, dimension, repaired = self._units[normalize(form)]
        return UnitMatch(found.start("scale"), found.end("scale"), form, candidates, dimension, rule_id, repaired)

    def _counted_rate(self, text: str, position: int) -> Optional[UnitMatch]:
        """A frequency after up to three words of what is counted ("1-3 insulin injections per day" is ``/d``, the
        words kept in the unit as written), or a unit after a postfix comparator ("3 or more drinks a day")."""
        note = self._postfix_words.match(text, position)
        start = end = note.end() if note else position
        if note is not None and (unit := self.read(text, start)) is not None and unit.typo is None:
            return unit
        for _ in range(_COUNTED_NOUNS):
            word = _COUNTED_NOUN.match(text, end)
            if (word is None or self._numbers.is_word(word.group(1)) or self.read(text, word.start(1)) is not None
                    or self._references.starts_at(text, word.start(1))):
                return None
            end = word.end()
            unit = self.read(text, end)
            if unit is not None and unit.dimension == "frequency" and unit.candidates[0].startswith("/"):
                first = _COUNTED_NOUN.match(text, start).start(1)
                return UnitMatch(first, unit.end, text[first:unit.end], unit.candidates, unit.dimension, unit.rule)
        return None

    def _counted_time(self, text: str, position: int) -> Optional[UnitMatch]:
        """Days counted with a word between: "≥ 15 headache days", "5 consecutive days"."""
        word = _COUNTED_WORD.match(text, position)
        if word is None or self.read(text, word.start(1)) is not None or self._numbers.is_word(word.group(1)):
            return None
        unit = self.read(text, word.end())
        if unit is None or unit.dimension != "time" or unit.start != word.end():
            return None
        return unit if unit.end == _word_end(text, unit.end) else None

    def _misspelled(self, text: str, start: int) -> Optional[UnitMatch]:
        """A time unit written with a typo ("monhts", "wekes"): one edit or so from a form, same first letter."""
        word = _WORD.match(text, start)
        if word is None:
            return None
        form = self._unit_typo(word.group().lower())
        if form is None or form[0] != word.group()[0].lower():
            return None
        rule_id, candidates, dimension, repaired = self._units[form]
        return UnitMatch(start, word.end(), word.group(), candidates, dimension, rule_id, repaired, typo=form)

    def _unit_typo(self, word: str) -> Optional[str]:
        """The time unit form closest to ``word`` (lower-cased), if close enough."""
        found = process.extractOne(word, self._fuzzy_units, scorer=fuzz.ratio, score_cutoff=_FUZZY_UNIT_CUTOFF)
        return found[0] if found else None

    def _per_unit(self, text: str, position: int) -> Optional[UnitMatch]:
        """The denominator of a compound unit after ``position``: "/day", " per week", " weekly"."""
        joined = self._per.match(text, position)
        if joined is None:
            return None
        following = self.read(text, joined.end(), compound=False) if joined.group().strip() else None
        if following is None:
            following = self.read(text, position, compound=False)
            if following is None or following.dimension != "frequency":
                return None
        return following


def joiner_pattern(grammars: Grammars, cue: str) -> re.Pattern[str]:
    """One of the phrases of the ``cue`` rules of ``cues.jsonl``, with any spaces around it."""
    return re.compile(r"\s*(?:" + compile_phrases(grammars.cue_phrases(cue)).pattern + r")\s*", re.IGNORECASE)


def _word_end(text: str, position: int) -> int:
    """Where the word running at ``position`` ends."""
    found = re.compile(r"\w*").match(text, position)
    return found.end()
