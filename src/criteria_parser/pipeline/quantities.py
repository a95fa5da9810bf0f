"""``criteria_quantities``: find numbers, ranges, units and relative references.

Reads ``text_of(doc)``; writes ``doc._.cp_quantities`` (:class:`Quantity` list).
Numbers are digits, roman numerals or number words (:mod:`.numbers`); after a
number come, in this order and each optional: a range joiner and second number (``cues.jsonl`` range phrases), a
unit (:mod:`.units`: ``units.jsonl``, or a garbled form of ``unit_repairs.jsonl``
that keeps its candidate units for the constraint step to choose by
plausibility), and a relative reference (:mod:`.references`: "times the upper
limit of normal").
Values listed before a unit share it ("500, 1000 and 2000 Hz"); scales with
letter categories (``letters`` of ``lexicon.jsonl``) give letter values
("Child-Pugh class C"); a frequency may follow a few words of what is
counted ("1-3 insulin injections per day"). A range whose ends have different units of one
dimension ("between 1 hour and 28 days", "6 months to 5 years", whatever their numbers) or whose high end
is strict ("4 to < 17 years") is read as its two ends apart; a minus sign touching the digits makes a value
negative.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc

from ..grammar.loader import Grammars, load_grammars
from ..grammar.phrases import compile_phrases, normalize, phrase_pattern
from ..model import Comparator, Flag, FlagKind
from .numbers import DIGITS, NumberReader, digits_value, readable
from .references import ReferenceReader
from .types import Quantity, UnitMatch, register_extensions, text_of
from .units import UnitReader, joiner_pattern

#: A number restated in digits in brackets: "three (3)".
_RESTATED = re.compile(r"\s*\(\s*(?P<number>\d{1,3})\s*\)")
#: A second value after a slash, sharing the unit written after it: "140/90 mmHg"; a comma after it ends the pair
#: ("BP > 140/90, despite ..."), but not one that groups thousands.
_PAIRED = re.compile(r"\s*/\s*(?P<number>" + DIGITS + r")(?!\d|,\d)(?!\.\d)")


class QuantityFinder:
    """Finds quantities with the rules of one grammar set: numbers (:class:`~.numbers.NumberReader`), their
    units (:class:`~.units.UnitReader`) and relative references (:class:`~.references.ReferenceReader`), joined
    into ranges, pairs ("140/90") and lists, and the letter categories of scales."""

    def __init__(self, grammars: Grammars) -> None:
        self.numbers = NumberReader(grammars)
        self.references = ReferenceReader(grammars)
        self.units = UnitReader(grammars, self.numbers, self.references)
        self.letters = LetterReader(grammars, self.units)
        prefixes = [p for c in grammars.comparators if c.position != "postfix" for p in c.phrases]
        self._compared = re.compile(r"(?:" + compile_phrases(prefixes).pattern + r")\s*$", re.IGNORECASE)
        # the high end may repeat its bound: "11 to no older than 17 years"; a strict one ("4 to < 17 years")
        # leaves the ends apart
        upper = [p for c in grammars.comparators if c.comparator in ("<", "<=") and c.position == "prefix"
                 for p in c.phrases]
        self._strict = {normalize(p) for c in grammars.comparators if c.comparator == "<" for p in c.phrases}
        self._range_comparator = re.compile(r"\s*(?P<bound>" + compile_phrases(upper).pattern + r")?\s*",
                                            re.IGNORECASE)
        joiners = sorted(grammars.cue_phrases("range"), key=len, reverse=True)
        # a suspended hyphen may end the low end: "aged between 18- and 65-years"
        self._joiner = re.compile(r"\s*-?\s*(?P<joiner>" + ("|".join(phrase_pattern(j) for j in joiners) or "(?!)") + r")",
                                  re.IGNORECASE)
        #: a joiner that also lists values ("and") joins a range only after an opener ("between 12 and 18")
        self._listing_joiners = {normalize(j) for j in joiners} & {normalize(p) for p in grammars.cue_phrases("listing")}
        self._range_opener = re.compile(r"(?:" + compile_phrases(grammars.cue_phrases("range_opener")).pattern
                                        + r")\s*$", re.IGNORECASE)
        #: between values listed before a shared unit ("500, 1000, and 2000 Hz"), and after a bound ("50kg
        #: (inclusive) and 90kg")
        self._listed_before = joiner_pattern(grammars, "listing")
        #: between a bound without a unit and the next bound, with its own comparator, whose unit it shares
        #: ("Age ≥20 and ≤40 years", "weight ≥ 50 and ≤ 100 kg")
        comparators = compile_phrases([p for rule in grammars.comparators for p in rule.phrases]).pattern
        self._bound_before = re.compile(self._listed_before.pattern + r"(?:" + comparators + r")\s*", re.IGNORECASE)
        self._bound_note = joiner_pattern(grammars, "bound_note")

    def find(self, text: str) -> list[Quantity]:
        """Every quantity of ``text``, left to right."""
        found: list[Quantity] = []
        position = 0
        while True:
            match = self.numbers.pattern.search(text, position)
            if match is None:
                return self.letters.add(text, _share_units(text, found, self._listed_before, self._bound_before))
            if match.group("digits") and not readable(match.group("digits")):
                position = match.end()  # "< 2,3.7 mg/dL": no value can be read from it, so none is made up
                continue
            quantity = self._quantity(text, match)
            # a decimal comma needs a unit or a comparator, and is no decimal on a scale ("grade 2,3"), nor the
            # low end of a range ("between 18,5 and 35")
            if (match.group("digits") and "," in match.group("digits") and quantity.value_high is None
                    and (quantity.unit is None or quantity.unit.dimension == "score")
                    and quantity.reference is None and not self._compared.search(text, max(0, match.start() - 40),
                                                                                   match.start())):
                match = self.numbers.listed.match(text, match.start())
                quantity = self._quantity(text, match)
            found.append(quantity)
            position = max(quantity.text_end, match.end())
            if quantity.upper is not None:
                quantity = quantity.upper
                found.append(quantity)
                position = max(position, quantity.text_end)
            paired = self._paired(text, quantity)
            if paired is not None:
                if paired.value < quantity.value:  # a blood pressure's "150/95 or higher", not a score's "2/10 or more"
                    quantity.pair_end = paired.text_end
                found.append(paired)
                position = paired.text_end

    def _paired(self, text: str, quantity: Quantity) -> Optional[Quantity]:
        """The second value of "140/90 mmHg" ("<50/40 mg/dl"), which lends its unit to the first."""
        if quantity.unit is not None or quantity.value_high is not None or quantity.category is not None:
            return None
        second = _PAIRED.match(text, quantity.end)
        if second is None or not readable(second.group("number")):
            return None
        unit = self.units.read(text, second.end())
        if unit is not None and unit.dimension in ("time", "frequency"):
            return None
        if unit is None:  # "> 140/90": a pair only where the subject's values come in pairs (constraints step)
            return Quantity(second.start("number"), second.end(), digits_value(second.group("number")),
                            rule="quantity.paired", paired=True)
        quantity.unit = unit
        return Quantity(second.start("number"), second.end(), digits_value(second.group("number")), unit=unit,
                        rule="quantity.paired", paired=True)

    def _quantity(self, text: str, match: re.Match[str]) -> Quantity:
        value, flag = self.numbers.value(match)
        start = match.start()
        if self.numbers.negative(text, match):
            value, start = -value, start - 1
        roman = match.group("roman")
        quantity = Quantity(start, match.end(), value, flags=[flag] if flag else [],
                            rule="quantity.roman" if roman else "quantity.word" if flag else "quantity.number",
                            category=roman)
        number_end = match.end()
        restated = _RESTATED.match(text, number_end)
        if restated and digits_value(restated.group("number")) == value:
            number_end = restated.end()  # "three (3) months": one value, its unit after the bracket
        unit = self.units.after_number(text, number_end)
        quantity.value, quantity.end, unit = self.units.compound(text, quantity.value, number_end, unit)
        after = max(quantity.end, unit.end) if unit else match.end()
        inclusive = self._bound_note.match(text, after)
        joined = self._joiner.match(text, inclusive.end() if inclusive else after)
        second = self._range_end(text, joined) if joined else None
        if second and second[1] < value <= 0:  # "-1 to -10 diopters", "between 0 and -4": from -10 up to -1
            quantity.value, second = second[1], (second[0], value, *second[2:])
        ordered = bool(second) and second[1] >= quantity.value
        if (second and self._range_allowed(text, quantity.start, joined.group("joiner"))
                and bool(second[0].group("roman")) == bool(roman)):
            high_match, high, high_flag, strict = second
            high_unit = self.units.after_number(text, high_match.end())
            high, high_end, high_unit = self.units.compound(text, high, high_match.end(), high_unit)
            own_units = (unit is not None and high_unit is not None and high_unit.candidates != unit.candidates
                         and not _per_whole_range(unit, high_unit))
            if own_units and unit.dimension == high_unit.dimension or ordered and (strict or own_units):
                # "4 to < 17 years" is >= 4 and < 17; "between 1 hour and 28 days" is >= 1 h and <= 28 d, and
                # "6 months to 5 years" >= 6 mo and <= 5 a (ends in units of their own: the numbers do not compare)
                return self._apart(text, match, quantity, unit, high_match, strict)
            if ordered:
                quantity.value_high = high
                quantity.end = high_end
                quantity.joiner = joined.group("joiner")
                quantity.rule = "quantity.range"
                quantity.flags.extend([high_flag] if high_flag else [])
                if roman:
                    quantity.category = f"{roman}-{high_match.group('roman')}"
                unit = high_unit or self.units.after_parenthesis(text, match.start(), high_match.end()) or unit
        quantity.reference = self.references.read(text, max(quantity.end, unit.end if unit else 0),
                                                  self.references.is_multiplier(match.group()))
        # a limit relative to a reference is on no scale: "ALT level > 3 x ULN" has no {level}
        quantity.unit = unit or (self.units.scale_before(text, match.start()) if quantity.reference is None else None)
        if quantity.unit is not None and quantity.unit.typo:
            quantity.flags.append(Flag(kind=FlagKind.TYPO, read=quantity.unit.text, understood=quantity.unit.typo,
                                       start=quantity.unit.start, end=quantity.unit.end, rule=quantity.unit.rule))
        return quantity

    def _range_allowed(self, text: str, start: int, joiner: str) -> bool:
        """A joiner that also lists values ("and") joins a range only after a ``range_opener`` of ``cues.jsonl``
        ("between 12 and 18", "aged 18 and 65 years")."""
        if normalize(joiner) not in self._listing_joiners:
            return True
        return bool(self._range_opener.search(text[max(0, start - 30):start]))

    def _apart(self, text: str, match: re.Match[str], low: Quantity, unit: Optional[UnitMatch],
               high_match: re.Match[str], strict: bool) -> Quantity:
        """The ends of a range read as two bounds: the low end ``>=``, the high end its own comparator (or
        ``<=``); the low end without a unit shares the high end's ("4 to < 17 years")."""
        low.upper = self._quantity(text, high_match)
        low.upper.bound = None if strict else Comparator.LE.value
        low.bound = Comparator.GE.value
        low.unit = unit or low.upper.unit
        low.reference = self.references.read(text, match.end(), self.references.is_multiplier(match.group()))
        if unit is None and low.reference is None:  # "1 to < 3 x ULN"
            low.reference = low.upper.reference
        return low

    def _range_end(self, text: str, joined: re.Match[str]
                   ) -> Optional[tuple[re.Match[str], float, Optional[Flag], bool]]:
        """The high end after a range joiner: its match, value, number-word flag, and whether a strict
        comparator ("<", "under") bounds it."""
        spaces = self._range_comparator.match(text, joined.end())
        position = spaces.end() + (text[spaces.end():spaces.end() + 1] in ("-", "−"))
        high_match = self.numbers.range_end.match(text, position)
        if high_match is None:
            return None
        high, flag = self.numbers.value(high_match)
        strict = bool(spaces.group("bound")) and normalize(spaces.group("bound")) in self._strict
        return high_match, -high if position > spaces.end() else high, flag, strict


class LetterReader:
    """The letter categories of scales that have them ("Child-Pugh class C", "Child-Pugh class B or C"): the
    ``letters`` of ``lexicon.jsonl`` after one of the scale's names."""

    def __init__(self, grammars: Grammars, units: UnitReader) -> None:
        self._units = units
        letters = sorted({letter for e in grammars.lexicon for letter in e.letters})
        letter = r"(?P<letter>(?-i:" + "|".join(map(re.escape, letters)) + r"))(?![\w])"
        self._letter = re.compile(
            lettered_scales(grammars) + r"[\s:]*(?:(?:" + units.scale_forms + r")\s*)?" + letter, re.IGNORECASE
        ) if letters else None
        #: more letter categories listed after one: "Child-Pugh class B or C"
        self._listed_letter = re.compile(joiner_pattern(grammars, "listing").pattern + letter) if letters else None

    def add(self, text: str, found: list[Quantity]) -> list[Quantity]:
        """``found`` with the letter categories of ``text`` that no quantity of it covers, by start."""
        if self._letter is None:
            return found
        for match in self._letter.finditer(text):
            while match is not None:
                start, end = match.span("letter")
                if any(q.start < end and start < q.text_end for q in found):
                    break
                found.append(Quantity(start, end, float(ord(match.group("letter")) - ord("A") + 1),
                                      unit=self._units.read(text, end) or self._units.scale_before(text, start),
                                      rule="quantity.letter", category=match.group("letter")))
                match = self._listed_letter.match(text, end)
        return sorted(found, key=lambda q: q.start)


def lettered_scales(grammars: Grammars) -> str:
    """A pattern for the names of scales with letter categories ("Child-Pugh"), from ``lexicon.jsonl``."""
    names = [s for e in grammars.lexicon if e.letters for s in e.synonyms]
    return r"(?<![\w])(?:" + compile_phrases(names).pattern + r")" if names else r"(?!)"


def _share_units(text: str, found: list[Quantity], listed: re.Pattern[str], bound: re.Pattern[str]
                 ) -> list[Quantity]:
    """Values listed before the one that carries the unit share it: "at 500, 1000, and 2000 Hz", and so does a
    bound before another bound of the same words: "Age ≥20 and ≤40 years" is >= 20 a and <= 40 a."""
    for index in range(len(found) - 2, -1, -1):
        quantity, following = found[index], found[index + 1]
        if (quantity.unit is None and quantity.value_high is None and quantity.category is None
                and quantity.reference is None and following.unit is not None and not following.paired
                and following.unit.start > following.start
                and (listed.fullmatch(text, quantity.end, following.start)
                     or bound.fullmatch(text, quantity.end, following.start))):
            quantity.unit = following.unit
    return found


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


def _per_whole_range(low: UnitMatch, high: UnitMatch) -> bool:
    """Whether the high end's unit is the low end's per something, said once for the whole range: "between 1g to
    2g a day" is 1-2 g/d (not >= 1 g and <= 2 g/d)."""
    return all(any(code.startswith(f"{low_code}/") for low_code in low.candidates) for code in high.candidates)

