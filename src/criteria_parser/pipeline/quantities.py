"""``criteria_quantities``: find numbers, ranges, units and relative references.

Reads ``text_of(doc)``; writes ``doc._.cp_quantities`` (:class:`Quantity` list).
Numbers are digits or number words (``grammars/numbers.jsonl``, flagged as
``number_word``); a number glued to letters ("CD5", "COVID-19", "2nd") is an
identifier, not a value. After a number come, in this order and each
optional: a range joiner and second number (``cues.jsonl`` range phrases), a
unit (``units.jsonl``, or a garbled form of ``unit_repairs.jsonl`` that keeps
its candidate units for the constraint step to choose by plausibility), and a
relative reference (``relative.jsonl``: "times the upper limit of normal").
Values listed before a unit share it ("500, 1000 and 2000 Hz"); scales with
letter categories (``letters`` of ``lexicon.jsonl``) give letter values
("Child-Pugh class C"); a frequency may follow a few words of what is
counted ("1-3 insulin injections per day"). A range whose ends have different units ("between 1
hour and 28 days") or whose high end is strict ("4 to < 17 years") is read as
its two ends apart; a minus sign touching the digits makes a value negative.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from rapidfuzz import fuzz, process
from spacy.language import Language
from spacy.tokens import Doc

from ..grammar.loader import Grammars, load_grammars
from ..model import Comparator, Flag, FlagKind
from .types import Quantity, Reference, UnitMatch, register_extensions, text_of
from ..grammar.phrases import compile_phrases, normalize, phrase_pattern

#: A decimal comma ("7,0 mmol/l"); without a unit or comparator "1,2" lists two values ("ASA status 1,2").
_DECIMAL_COMMA = r"\d+,\d{1,2}(?![\d,])(?!\s*(?:or|and|,)\s*\d)|"
#: A power of ten ("10^3 CFU/mL") is its value, not 10.
_DIGITS = r"(?:10\^\d{1,2}(?![\d.])|\d{1,3}(?:,\d{3})+(?![\d,])|" + _DECIMAL_COMMA + r"\d+)(?:\.\d+)?"
#: A number not glued to a word before it ("CD5", "x10", "COVID-19"), not the minutes of a clock time ("22:00"),
#: nor followed by an ordinal suffix or digit.
_NUMBER = re.compile(r"(?<![\w.^*/])(?<!\d:)(?<![A-Za-z]-)(?<![A-Za-z]\.)(?<![A-Za-z],)" + _DIGITS
                     + r"(?!\d|st\b|nd\b|rd\b|th\b|\.\d|,\d{3}(?!\d))")
#: A roman numeral of an ordinal scale ("NYHA III", "ASA I-II"): upper case, a word of its own; a roman numeral
#: sign ("GradeⅠ", U+2160 to U+2169) may follow a word directly.
ROMAN = r"(?-i:(?:(?<![\w.])(?<![A-HJ-UWYZa-z]-)(?:VIII|VII|VI|IV|IX|V|III|II|I|X)|[Ⅰ-Ⅹ])(?![\w]))"
_ROMAN_VALUES = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}
_ROMAN_VALUES.update({chr(0x2160 + value - 1): value for value in _ROMAN_VALUES.values()})  # Ⅰ (U+2160) to Ⅹ
#: Between a number and its unit: spaces, an opening parenthesis, a hyphen before a word ("12-month"), a "+".
_SPACE = re.compile(r"(?:-(?=[^\W\d_])|\+?[ \t]*)(?:\(\s*)?")  # "18+ years": the "+" is a comparator
#: A minus sign of a negative value ("T-score ≤ -2.5", "-1 to -10 diopters"): a hyphen or minus touching the digits,
#: after a space, a bracket or a comparator, and not after a number (that "6 -11" is a range).
_SIGN = re.compile(r"(?:^|(?<=[\s(\[:=<>≤≥≦≧＜＞]))(?<!\d\s)(?<!\d\s\s)[-−]$")
#: The smaller part of an amount: "23+6 weeks" (before the unit), "23 weeks 6 days", "2 years and 3 months".
_PLUS_PART = re.compile(r"[ \t]*\+[ \t]*(?P<part>\d{1,2})(?![\d.,])")
_AND_PART = re.compile(r"[ \t]*(?:and[ \t]+)?(?P<part>\d{1,2})(?![\d.,])")
#: A second value after a slash, sharing the unit written after it: "140/90 mmHg".
_PAIRED = re.compile(r"\s*/\s*(?P<number>" + _DIGITS + r")(?![\d,])(?!\.\d)")
#: One word between a number and the time unit it counts: "15 headache days".
_COUNTED_WORD = re.compile(r"[ \t]+([^\W\d_]{3,})[ \t]+")
#: A word of what is counted per unit of time: "3 alcoholic drinks per day", "1-3 bolus insulin injections a day";
#: a word with capitals inside is a unit of its own ("microMolar per minute").
_COUNTED_NOUN = re.compile(r"[ \t]+((?:[^\W\d_]|-)(?:[^\W\d_A-Z]|-)*)(?![\w])")
_COUNTED_NOUNS = 3
#: A word that may be a misspelled unit, and how close it must be to a unit form (rapidfuzz ratio).
_WORD = re.compile(r"[^\W\d_]{5,}(?![\w])")
_FUZZY_UNIT_CUTOFF = 80.0


class QuantityFinder:
    """Finds quantities with the rules of one grammar set."""

    def __init__(self, grammars: Grammars) -> None:
        self.words = {normalize(w): (rule, rule.value) for rule in grammars.numbers for w in rule.words}
        word_re = compile_phrases(self.words)
        self._number = re.compile(f"(?P<digits>{_NUMBER.pattern})|(?P<roman>{ROMAN})|(?P<word>{word_re.pattern})",
                                  re.IGNORECASE)
        self._listed_number = re.compile(self._number.pattern.replace(_DECIMAL_COMMA, ""), re.IGNORECASE)
        prefixes = [p for c in grammars.comparators if c.position != "postfix" for p in c.phrases]
        postfixes = [p for c in grammars.comparators if c.position == "postfix" for p in c.phrases if p.isalpha() or " " in p]
        #: a postfix comparator may stand between a number and what it counts: "3 or more drinks a day"
        self._postfix_words = re.compile(r"\s+(?:" + compile_phrases(postfixes).pattern + r")(?![\w])", re.IGNORECASE)
        self._compared = re.compile(r"(?:" + compile_phrases(prefixes).pattern + r")\s*$", re.IGNORECASE)
        # after a range joiner a letter may precede the hyphen: the unit of the low end ("8yr-18yrs")
        self._range_number = re.compile(self._number.pattern.replace("(?<![A-Za-z]-)", "", 1), re.IGNORECASE)
        scales = [f for u in grammars.units if u.dimension == "score" for f in u.forms]
        self._scale_before = re.compile(r"(?<![\w])(?P<scale>" + compile_phrases(scales).pattern + r")[\s:]*(?:of\s+)?(?:(?:[<>≤≥≦≧＜＞]=?|=[<>]?|>/=|</=)\s*)?$",
                                        re.IGNORECASE)
        letters = sorted({letter for e in grammars.lexicon for letter in e.letters})
        self._letter = re.compile(
            lettered_scales(grammars) + r"[\s:]*(?:(?:" + compile_phrases(scales).pattern
            + r")\s*)?(?P<letter>(?-i:" + "|".join(map(re.escape, letters)) + r"))(?![\w])", re.IGNORECASE
        ) if letters else None
        #: more letter categories listed after one: "Child-Pugh class B or C"
        self._listed_letter = re.compile(joiner_pattern(grammars, "listing").pattern + r"(?P<letter>(?-i:"
                                         + "|".join(map(re.escape, letters)) + r"))(?![\w])") if letters else None
        self._subunits = {u.ucum: u.subunit for u in grammars.units if u.subunit}
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
        # units are matched right after a number, which they may touch ("30kg/m2")
        self._fuzzy_units = sorted(normalize(f) for u in grammars.units if u.dimension == "time"
                                   for f in u.forms if f.isalpha() and len(f) >= 5)
        self._unit_ci = compile_phrases(insensitive, glued=True)
        self._unit_cs = compile_phrases(sensitive, case_sensitive=True, glued=True)
        # the high end may repeat its bound: "11 to no older than 17 years"; a strict one ("4 to < 17 years")
        # leaves the ends apart
        upper = [p for c in grammars.comparators if c.comparator in ("<", "<=") and c.position == "prefix"
                 for p in c.phrases]
        self._strict = {normalize(p) for c in grammars.comparators if c.comparator == "<" for p in c.phrases}
        self._range_comparator = re.compile(r"\s*(?P<bound>" + compile_phrases(upper).pattern + r")?\s*",
                                            re.IGNORECASE)
        joiners = grammars.cue_phrases("range")
        # a suspended hyphen may end the low end: "aged between 18- and 65-years"
        self._joiner = re.compile(r"\s*-?\s*(?P<joiner>" + "|".join(phrase_pattern(j) for j in sorted(joiners, key=len, reverse=True)) + r")", re.IGNORECASE)
        #: between the parts of a compound unit ("mg per day", "cigarettes/day", "drinks a week"), between values
        #: listed before a shared unit ("500, 1000, and 2000 Hz"), and after a bound ("50kg (inclusive) and 90kg")
        self._per = joiner_pattern(grammars, "per")
        self._listed_before = joiner_pattern(grammars, "listing")
        self._bound_note = joiner_pattern(grammars, "bound_note")
        self._references = {}
        multipliers = [p for r in grammars.relative if r.role == "multiplier" for p in r.phrases]
        fillers = [p for r in grammars.relative if r.role == "filler" for p in r.phrases]
        self._comparisons = {normalize(p): r for r in grammars.relative if r.role == "comparison" for p in r.phrases}
        self._multiplier_words = {normalize(p) for p in multipliers}
        for rule in grammars.relative:
            if rule.role == "reference":
                self._references.update((normalize(phrase), rule) for phrase in rule.phrases)
        self._reference = re.compile(
            r"\s*(?:(?P<mult>" + compile_phrases(multipliers).pattern + r")\s*)?"
            r"(?:(?P<cmp>" + (compile_phrases(self._comparisons).pattern if self._comparisons else "(?!)") + r")\s+)?"
            r"(?:(?:" + compile_phrases(fillers).pattern + r")\s+)*"
            r"(?P<ref>" + compile_phrases(self._references).pattern + r")",
            re.IGNORECASE,
        )

    def find(self, text: str) -> list[Quantity]:
        """Every quantity of ``text``, left to right."""
        found: list[Quantity] = []
        position = 0
        while True:
            match = self._number.search(text, position)
            if match is None:
                return self._with_letters(text, _share_units(text, found, self._listed_before))
            quantity = self._quantity(text, match)
            if (match.group("digits") and "," in match.group("digits") and quantity.unit is None
                    and quantity.reference is None and not self._compared.search(text, max(0, match.start() - 40),
                                                                                   match.start())):
                match = self._listed_number.match(text, match.start())
                quantity = self._quantity(text, match)
            found.append(quantity)
            position = max(quantity.text_end, match.end())
            if quantity.upper is not None:
                quantity = quantity.upper
                found.append(quantity)
                position = max(position, quantity.text_end)
            paired = self._paired(text, quantity)
            if paired is not None:
                found.append(paired)
                position = paired.text_end

    def _with_letters(self, text: str, found: list[Quantity]) -> list[Quantity]:
        """``found`` with the letter categories of scales that have them ("Child-Pugh class C")."""
        if self._letter is None:
            return found
        for match in self._letter.finditer(text):
            while match is not None:
                start, end = match.span("letter")
                if any(q.start < end and start < q.text_end for q in found):
                    break
                found.append(Quantity(start, end, float(ord(match.group("letter")) - ord("A") + 1),
                                      unit=self._unit(text, end) or self._scale(text, start), rule="quantity.letter",
                                      category=match.group("letter")))
                match = self._listed_letter.match(text, end)
        return sorted(found, key=lambda q: q.start)

    def _paired(self, text: str, quantity: Quantity) -> Optional[Quantity]:
        """The second value of "140/90 mmHg" ("<50/40 mg/dl"), which lends its unit to the first."""
        if quantity.unit is not None or quantity.value_high is not None or quantity.category is not None:
            return None
        second = _PAIRED.match(text, quantity.end)
        if second is None:
            return None
        unit = self._unit(text, second.end())
        if unit is not None and unit.dimension in ("time", "frequency"):
            return None
        if unit is None:  # "> 140/90": a pair only where the subject's values come in pairs (constraints step)
            return Quantity(second.start("number"), second.end(), _number(second.group("number")),
                            rule="quantity.paired", paired=True)
        quantity.unit = unit
        return Quantity(second.start("number"), second.end(), _number(second.group("number")), unit=unit,
                        rule="quantity.paired", paired=True)

    def _value(self, match: re.Match[str]) -> tuple[float, Optional[Flag]]:
        if match.group("digits"):
            return _number(match.group("digits")), None
        if match.group("roman"):
            return float(_ROMAN_VALUES[match.group("roman")]), None
        read = match.group("word")
        rule, value = self.words[normalize(read)]
        understood = f"{value:g}"
        return value, Flag(kind=FlagKind.NUMBER_WORD, read=read, understood=understood,
                           start=match.start(), end=match.end(), rule=rule.id)

    def _quantity(self, text: str, match: re.Match[str]) -> Quantity:
        value, flag = self._value(match)
        start = match.start()
        if _negative(text, match):
            value, start = -value, start - 1
        roman = match.group("roman")
        quantity = Quantity(start, match.end(), value, flags=[flag] if flag else [],
                            rule="quantity.roman" if roman else "quantity.word" if flag else "quantity.number",
                            category=roman)
        unit = self._unit_after(text, match.end())
        quantity.value, quantity.end, unit = self._compound(text, quantity.value, match.end(), unit)
        after = max(quantity.end, unit.end) if unit else match.end()
        inclusive = self._bound_note.match(text, after)
        joined = self._joiner.match(text, inclusive.end() if inclusive else after)
        second = self._range_end(text, joined) if joined else None
        if second and second[1] < value < 0:  # "-1 to -10 diopters": from -10 up to -1
            quantity.value, second = second[1], (second[0], value, *second[2:])
        if (second and second[1] >= quantity.value and _range_allowed(text, quantity.start, joined.group("joiner"))
                and bool(second[0].group("roman")) == bool(roman)):
            high_match, high, high_flag, strict = second
            high_unit = self._unit_after(text, high_match.end())
            high, high_end, high_unit = self._compound(text, high, high_match.end(), high_unit)
            if strict or (unit is not None and high_unit is not None and high_unit.candidates != unit.candidates):
                # "4 to < 17 years" is >= 4 and < 17; "between 1 hour and 28 days" is >= 1 h and <= 28 d
                return self._apart(text, match, quantity, unit, high_match, strict)
            quantity.value_high = high
            quantity.end = high_end
            quantity.joiner = joined.group("joiner")
            quantity.rule = "quantity.range"
            quantity.flags.extend([high_flag] if high_flag else [])
            if roman:
                quantity.category = f"{roman}-{high_match.group('roman')}"
            unit = high_unit or self._closed_unit(text, match.start(), high_match.end()) or unit
        quantity.unit = unit or self._scale(text, match.start())
        if quantity.unit is not None and quantity.unit.typo:
            quantity.flags.append(Flag(kind=FlagKind.TYPO, read=quantity.unit.text, understood=quantity.unit.typo,
                                       start=quantity.unit.start, end=quantity.unit.end, rule=quantity.unit.rule))
        quantity.reference = self._relative(text, max(quantity.end, unit.end if unit else 0),
                                            normalize(match.group()) in self._multiplier_words)
        return quantity

    def _compound(self, text: str, value: float, end: int, unit: Optional[UnitMatch]
                  ) -> tuple[float, int, Optional[UnitMatch]]:
        """An amount ending in a smaller unit (``subunit`` of ``units.jsonl``): "23 weeks 6 days" and "23+6 weeks"
        are 23 6/7 weeks. Returns the value, where the value's span ends, and the unit."""
        if unit is None:
            plus = _PLUS_PART.match(text, end)
            later = self._unit(text, plus.end()) if plus else None
            if later is None or later.candidates[0] not in self._subunits:
                return value, end, unit
            return value + _number(plus.group("part")) / self._subunits[later.candidates[0]][1], plus.end(), later
        if unit.candidates[0] not in self._subunits:
            return value, end, unit
        part = _AND_PART.match(text, unit.end)
        smaller = self._unit(text, part.end()) if part else None
        subunit, count = self._subunits[unit.candidates[0]]
        if smaller is None or smaller.candidates != (subunit,) or _number(part.group("part")) >= count:
            return value, end, unit
        return value + _number(part.group("part")) / count, smaller.end, unit

    def _apart(self, text: str, match: re.Match[str], low: Quantity, unit: Optional[UnitMatch],
               high_match: re.Match[str], strict: bool) -> Quantity:
        """The ends of a range read as two bounds: the low end ``>=``, the high end its own comparator (or
        ``<=``); the low end without a unit shares the high end's ("4 to < 17 years")."""
        low.upper = self._quantity(text, high_match)
        low.upper.bound = None if strict else Comparator.LE.value
        low.bound = Comparator.GE.value
        low.unit = unit or low.upper.unit
        low.reference = self._relative(text, match.end(), normalize(match.group()) in self._multiplier_words)
        if unit is None and low.reference is None:  # "1 to < 3 x ULN"
            low.reference = low.upper.reference
        return low

    def _range_end(self, text: str, joined: re.Match[str]
                   ) -> Optional[tuple[re.Match[str], float, Optional[Flag], bool]]:
        """The high end after a range joiner: its match, value, number-word flag, and whether a strict
        comparator ("<", "under") bounds it."""
        spaces = self._range_comparator.match(text, joined.end())
        position = spaces.end() + (text[spaces.end():spaces.end() + 1] in ("-", "−"))
        high_match = self._range_number.match(text, position)
        if high_match is None:
            return None
        high, flag = self._value(high_match)
        strict = bool(spaces.group("bound")) and normalize(spaces.group("bound")) in self._strict
        return high_match, -high if position > spaces.end() else high, flag, strict

    def _unit(self, text: str, position: int) -> Optional[UnitMatch]:
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
            return self._misspelled_unit(text, start)
        form = best.group()
        unspaced = re.sub(r"\s*/\s*", "/", form)  # "mmol/ l" is "mmol/l"
        key = next(k for k in (form, unspaced, normalize(form), normalize(unspaced)) if k in self._units)
        rule_id, candidates, dimension, repaired = self._units[key]
        end = best.end()
        per = self._per_unit(text, end)
        if per is not None and not repaired:
            form, end = text[start:per.end], per.end
            candidates = (candidates[0] + ("" if per.candidates[0].startswith("/") else "/") + per.candidates[0],)
            dimension = "rate"
        opened = "(" in text[position:start]
        if opened:
            close = re.match(r"\s*\)", text[end:])
            if not close:
                return None  # "(mg" without ")": not a unit in parentheses
            end += close.end()
        return UnitMatch(start, end, form, candidates, dimension, rule_id, repaired)

    def _unit_after(self, text: str, position: int) -> Optional[UnitMatch]:
        """The unit of the number ending at ``position``: written right after it, or after what it counts."""
        return self._unit(text, position) or self._counted_time(text, position) or self._counted_rate(text, position)

    def _counted_rate(self, text: str, position: int) -> Optional[UnitMatch]:
        """A frequency after up to three words of what is counted ("1-3 insulin injections per day" is ``/d``, the
        words kept in the unit as written), or a unit after a postfix comparator ("3 or more drinks a day")."""
        note = self._postfix_words.match(text, position)
        start = end = note.end() if note else position
        if note is not None and (unit := self._unit(text, start)) is not None and unit.typo is None:
            return unit
        for _ in range(_COUNTED_NOUNS):
            word = _COUNTED_NOUN.match(text, end)
            if (word is None or normalize(word.group(1)) in self.words or self._unit(text, word.start(1)) is not None
                    or self._reference.match(text, word.start(1))):
                return None
            end = word.end()
            unit = self._unit(text, end)
            if unit is not None and unit.dimension == "frequency" and unit.candidates[0].startswith("/"):
                first = _COUNTED_NOUN.match(text, start).start(1)
                return UnitMatch(first, unit.end, text[first:unit.end], unit.candidates, unit.dimension, unit.rule)
        return None

    def _counted_time(self, text: str, position: int) -> Optional[UnitMatch]:
        """Days counted with a word between: "≥ 15 headache days", "5 consecutive days"."""
        word = _COUNTED_WORD.match(text, position)
        if word is None or self._unit(text, word.start(1)) is not None or normalize(word.group(1)) in self.words:
            return None
        unit = self._unit(text, word.end())
        if unit is None or unit.dimension != "time" or unit.start != word.end():
            return None
        return unit if unit.end == _word_end(text, unit.end) else None

    def _closed_unit(self, text: str, start: int, end: int) -> Optional[UnitMatch]:
        """The unit after a parenthesized range: "between (16-24) weeks"."""
        closed = re.match(r"\s*\)", text[end:end + 3])
        if closed is None or not text[:start].rstrip().endswith("("):
            return None
        return self._unit(text, end + closed.end())

    def _misspelled_unit(self, text: str, start: int) -> Optional[UnitMatch]:
        """A time unit written with a typo ("monhts", "wekes"): one edit or so from a form, same first letter."""
        word = _WORD.match(text, start)
        if word is None:
            return None
        found = process.extractOne(word.group().lower(), self._fuzzy_units, scorer=fuzz.ratio,
                                   score_cutoff=_FUZZY_UNIT_CUTOFF)
        if found is None or found[0][0] != word.group()[0].lower():
            return None
        rule_id, candidates, dimension, repaired = self._units[found[0]]
        return UnitMatch(start, word.end(), word.group(), candidates, dimension, rule_id, repaired, typo=found[0])

    def _per_unit(self, text: str, position: int) -> Optional[UnitMatch]:
        """The denominator of a compound unit after ``position``: "/day", " per week", " weekly"."""
        joined = self._per.match(text, position)
        if joined is None:
            return None
        following = self._unit(text, joined.end()) if joined.group().strip() else None
        if following is None:
            following = self._unit(text, position)
            if following is None or following.dimension != "frequency":
                return None
        return following

    def _scale(self, text: str, position: int) -> Optional[UnitMatch]:
        """The scale a value is read on, named right before it ("grade 3", "NYHA class III", "stage 4")."""
        found = self._scale_before.search(text, max(0, position - 24), position)
        if found is None:
            return None
        form = found.group("scale")
        rule_id, candidates, dimension, repaired = self._units[normalize(form)]
        return UnitMatch(found.start("scale"), found.end("scale"), form, candidates, dimension, rule_id, repaired)

    def _relative(self, text: str, position: int, multiplied: bool = False) -> Optional[Reference]:
        """The reference after a value; ``multiplied``: the value itself is a multiplier ("twice")."""
        found = self._reference.match(text, position)
        if not found:
            return None
        rule = self._references[normalize(found.group("ref"))]
        if rule.relative_to != "fold" and not (found.group("mult") or multiplied) and not found.group("ref").isupper():
            return None  # "3 upper limit" needs a multiplier; a bare "3 ULN" does not
        start = next(found.start(group) for group in ("mult", "cmp", "ref") if found.group(group))
        comparison = self._comparisons[normalize(found.group("cmp"))] if found.group("cmp") else None
        return Reference(start, found.end(), rule.relative_to, rule.id, comparison.comparator if comparison else None,
                         comparison.id if comparison else None)


def lettered_scales(grammars: Grammars) -> str:
    """A pattern for the names of scales with letter categories ("Child-Pugh"), from ``lexicon.jsonl``."""
    names = [s for e in grammars.lexicon if e.letters for s in e.synonyms]
    return r"(?<![\w])(?:" + compile_phrases(names).pattern + r")" if names else r"(?!)"


def joiner_pattern(grammars: Grammars, cue: str) -> re.Pattern[str]:
    """One of the phrases of the ``cue`` rules of ``cues.jsonl``, with any spaces around it."""
    return re.compile(r"\s*(?:" + compile_phrases(grammars.cue_phrases(cue)).pattern + r")\s*", re.IGNORECASE)


def _share_units(text: str, found: list[Quantity], listed: re.Pattern[str]) -> list[Quantity]:
    """Values listed before the one that carries the unit share it: "at 500, 1000, and 2000 Hz"."""
    for index in range(len(found) - 2, -1, -1):
        quantity, following = found[index], found[index + 1]
        if (quantity.unit is None and quantity.value_high is None and quantity.category is None
                and quantity.reference is None and following.unit is not None and not following.paired
                and following.unit.start > following.start
                and listed.fullmatch(text, quantity.end, following.start)):
            quantity.unit = following.unit
    return found


def _negative(text: str, match: re.Match[str]) -> bool:
    """Whether the digits of ``match`` carry a minus sign of their own (``_SIGN``)."""
    return bool(match.group("digits")) and bool(_SIGN.search(text, max(0, match.start() - 4), match.start()))


def _word_end(text: str, position: int) -> int:
    """Where the word running at ``position`` ends."""
    found = re.compile(r"\w*").match(text, position)
    return found.end()


def _number(digits: str) -> float:
    """The value of digits as written: "1,500" is 1500, a decimal comma "7,0" is 7.0, "10^3" is 1000."""
    if digits.startswith("10^"):
        return 10.0 ** int(digits[3:])
    if re.fullmatch(r"\d+,\d{1,2}(?:\.\d+)?", digits):
        return float(digits.replace(",", "."))
    return float(digits.replace(",", ""))


def _range_allowed(text: str, start: int, joiner: str) -> bool:
    """'and' joins a range only after 'between' ("between 12 and 18")."""
    if joiner.lower() != "and":
        return True
    return bool(re.search(r"between\s+(?:the\s+)?(?:ages?\s+of\s+|ages?\s+)?$|between\s*$",
                          text[max(0, start - 30):start], re.IGNORECASE))


@Language.factory(
    "criteria_quantities",
    assigns=["doc._.cp_quantities"],
    default_config={"grammars_dir": None},
)
def make_quantities(nlp: Language, name: str, grammars_dir: Optional[str]) -> "QuantitiesComponent":
    """Factory: ``nlp.add_pipe("criteria_quantities")``."""
    return QuantitiesComponent(load_grammars(Path(grammars_dir) if grammars_dir else None))


class QuantitiesComponent:
    """Pipeline step that sets ``doc._.cp_quantities``."""

    def __init__(self, grammars: Grammars) -> None:
        register_extensions()
        self.finder = QuantityFinder(grammars)

    def __call__(self, doc: Doc) -> Doc:
        doc._.cp_quantities = self.finder.find(text_of(doc))
        return doc
