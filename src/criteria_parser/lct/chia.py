"""Chia's value annotations as the comparisons the LCT scorer scores.

Chia (Kury et al., *Scientific Data* 7, 281, 2020; CC BY 4.0) marks a value as a surface span — a ``Value``
("<1.5 X ULN", "18 years or older"), a ``Temporal`` ("within the past 6 months") or a ``Multiplier`` ("at least
one") text-bound entity — without operator, number or unit fields. :func:`read_span` reads such a span into
:class:`SpanComparison` items, one per number, by this mapping (``benchmarks/chia.md`` has it with examples):

- **Numbers**: digits (thousands "1,500", decimals, a decimal comma "7,5"), number words of
  ``grammars/numbers.jsonl``, roman numerals (I to X) and a scale letter A-D after a scale word ("stage C").
  Not numbers: digits glued to letters ("CD4", "HbA1c", "m2"), the power of ten of a unit ("×10^9/L"), a
  visit or day named by its number ("at Visit 2", "Day 1"), and a number restating the one before it in
  brackets ("three (3) months" is one value).
- **Operator as written**, the last comparator phrase before the number (:data:`PREFIX`), else a phrase
  after it (:data:`POSTFIX`, "18 years or older" is ``>=``), else the operator of the number before it when
  only a list or a bracket joins them ("At least 60 kg (132 lbs)"), else ``=``. "within N" is ``<=``; a
  past period ("in the past 6 months", "during the last 3 months", "last 3 months", "recent 3 months") is ``<=``
  as the LCT scorer reads LCT's past periods, and so is a period after an event ("during the first 12 hours of
  symptom onset"), as LCT marks "in the first 48 hours"; a period ending at an anchor ("in the 6 weeks prior to Visit 1") is ``=``.
- **Ranges**: two numbers joined by a hyphen, a dash, "to", "through", or "and" after "between" are one
  ``between`` comparison (low, high); "N to < M" keeps its two bounds, and so does a range whose ends have
  units of their own ("between 3 days and 4 weeks" is ``>= 3 d`` and ``<= 4 wk``, as the parser reads it).
- **Pairs**: "160/100 mmHg" (a blood pressure) is two values with the first's operator and the unit after the
  pair; a span holding the first alone ("[>160]/100 mmHg") takes that unit too.
- **Unit**: the longest run of words after the number (or after the range or list it ends) that the scorer's
  unit table knows (``grammars/units.jsonl``, its repairs and the references of ``relative.jsonl``: "X ULN" is
  ``ULN``); none when the words are not a unit ("3 episodes").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Optional

from .brat import Annotation

#: Chia's entity types that hold values.
VALUE_TYPES = frozenset({"Value", "Temporal", "Multiplier"})

#: Chia's types for criteria its annotators did not model (its ``!ERROR`` types, and the errors it found in the
#: text): values inside them are not annotated, so neither side is scored there.
UNMODELED_TYPES = frozenset({
    "Non-query-able", "Post-eligibility", "Pregnancy_considerations", "Competing_trial", "Informed_consent",
    "Intoxication_considerations", "Non-representable", "Parsing_Error", "Subjective_judgement",
    "Undefined_semantics", "Context_Error", "Grammar_Error", "Not_a_criteria",
})

_PAST = r"(?:past|last|previous|preceding|prior|recent)"
#: Comparator phrases before a number, as written, most specific first: (pattern, comparator).
PREFIX: list[tuple[str, str]] = [
    (r"between|from", "between"),
    (r">\s*/?\s*=|>\s*or\s*=|=\s*>|≥|≧|<U\+2267>|⩾|greater\s+than\s+or\s+equal\s+(?:to)?|more\s+than\s+or\s+equal\s+(?:to)?"
     r"|equal\s+to\s+or\s+(?:greater|more|higher)\s+than|at\s+least|no\s+less\s+than|not\s+less\s+than"
     r"|no\s+fewer\s+than|minimum(?:\s+of)?|a\s+minimum\s+of|at/above|or\s+greater\s+than", ">="),
    (r"<\s*/?\s*=|<\s*or\s*=|=\s*<|≤|≦|<U\+2266>|⩽|less\s+than\s+or\s+equal\s+(?:to)?|equal\s+to\s+or\s+less\s+than"
     r"|at\s+most|no\s+more\s+than|not\s+more\s+than|not\s+exceeding|no\s+greater\s+than|not\s+greater\s+than"
     r"|up\s+to|maximum(?:\s+of)?|a\s+maximum\s+of|within|(?:in|during|over)\s+the\s+" + _PAST
     + r"|" + _PAST + r"|(?:(?:in|during|within)\s+)?the\s+first|first", "<="),
    (r">|＞|greater\s+than|more\s+than|over|above|higher\s+than|exceeding|exceeds?|older\s+than|longer\s+than"
     r"|in\s+excess\s+of", ">"),
    (r"<|＜|less\s+than|fewer\s+than|under|below|lower\s+than|younger\s+than|shorter\s+than", "<"),
    (r"=|equal\s+to|equals", "="),
    (r"±|\+/-|\+-", "+-"),
]
#: Comparator phrases after a number and its unit, or after "of age" ("18 years of [age] or older"; "older" alone
#: when Chia's pieces leave out the "or": "[18 years] of age or [older]").
POSTFIX: list[tuple[str, str]] = [
    (r"(?:or|and)\s+(?:more|greater|older|above|higher|over|longer|later)|\+|or\s+more\s+than|older", ">="),
    (r"(?:or|and)\s+(?:less|fewer|younger|below|under|lower|shorter|earlier)", "<="),
]
#: What joins values of a list, or a value and its restatement in brackets.
_LIST_JOIN = re.compile(r"[\s,;(]*(?:or|and|and/or)?[\s,;(]*", re.IGNORECASE)
#: Between the two values of a pair, which share the first's operator and the second's unit ("> 160/100 mmHg").
_PAIR_JOIN = re.compile(r"\s*/\s*")
_LINE_END = re.compile(r"[\r\n]")
#: "between" just before a span, with words but no number in between ("between the age of [18 and 45 years]").
_BETWEEN_BEFORE = re.compile(r"\bbetween\b(?:\s+[^\W\d]+){0,3}\s*$", re.IGNORECASE)
#: A scale word before a value ("Grade [1]", "class [III-IV]"), also before a comparator ("Grade [≥ 3]") and before
#: the values listed before this one ("NYHA class II, [III] or [IV]").
_SCALE_BEFORE = (r"([A-Za-z]+)\s*(?:of\s*)?(?:(?:\d+|{roman}|[A-D])\s*(?:,|or|and|/)\s*(?:or\s+|and\s+)?)*"
                 r"(?:[<>≤≥=]+\s*)?$")
#: Digits, which a unit may touch ("20mg/d"); not after a slash, where they belong to the unit ("mL/min/1.73 m2"),
#: unless a number of two digits or more is before it (the pair "160/100", not the days of "36 6/7 weeks"), nor
#: glued to a word before them ("CD4", "HbA1c") or an ordinal ("2nd"), nor a code point Chia spells out ("<U+2267>",
#: "≧", a comparator above).
_NUMBER = (r"(?<![\w.^])(?<!U\+)(?:(?<!/)|(?<=\d\d/))(?<![x×*]\s)(?<![x×*])[-−]?\d[\d,]*(?:\.\d+)?(?![\d^⁰¹²³⁴⁵⁶⁷⁸⁹])(?!(?:st|nd|rd|th)\b)"
           r"|(?<![\w.^])[-−]?\.\d+(?![\w])")
#: After a roman numeral "X": before a reference it is the multiplication sign ("1.5 X ULN"), not ten.
_TIMES_AFTER = r"(?!\s*(?:ULN|LLN|upper|lower|the|normal|\d))"
_LETTER = r"(?<=stage |class |grade )(?-i:[A-D])(?![\w])"
#: A word joined to the number after it by a hyphen ("alfa-2a", "IL-6"): part of a name unless it is a unit.
_NAMED = re.compile(r"(?<![\w-])([^\W\d_]+)-$")
#: A number naming a visit, a day or a cycle ("at Visit 2", "Day 1") is an identifier.
_IDENTIFIER = re.compile(r"(?:visit|day|cycle|phase|type|week)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class SpanComparison:
    """One comparison read from a Chia span: where its first number is, its values as written, the operator
    and the unit words (None when no known unit follows)."""

    start: int
    values: tuple[str, ...]
    comparator: str
    unit: Optional[str]
    stated: bool = True  # False for an "=" that no word of the span states


@dataclass
class _Number:
    start: int
    end: int
    text: str
    comparator: Optional[str] = None


class SpanReader:
    """Reads Chia value spans with the number words of the grammars and a unit lookup.

    Args:
        number_words: normalized number word -> value.
        unit_code: the UCUM code of a unit as written, or None when the words are no known unit.
        scale_code: the same for the scale words written before a value ("grade", "class").
        comparators: comparator phrases in words of the parser's grammar, with their comparators.
        range_join: what joins the two ends of a range (the ``range`` cues of cues.jsonl: "-", "to", "and").
        numerals: the roman numerals of numbers.jsonl in upper-case letters, longest first (``roman_letters``).
    """

    def __init__(self, number_words: dict[str, float], unit_code: Callable[[str], Optional[str]],
                 scale_code: Callable[[str], Optional[str]], comparators: tuple[tuple[str, str], ...],
                 range_join: re.Pattern[str], numerals: tuple[str, ...]) -> None:
        words = sorted(number_words, key=len, reverse=True)
        word_re = r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)"  # "one-three" is a range
        roman = "|".join(n + _TIMES_AFTER if n == "X" else n for n in numerals)
        self.numbers = re.compile(f"{_NUMBER}|(?-i:(?<![\\w])(?:{roman})(?![\\w]))|{_LETTER}|{word_re}",
                                  re.IGNORECASE)
        self._scale_before = re.compile(_SCALE_BEFORE.format(roman="(?:" + "|".join(numerals) + ")"))
        self.number_words = number_words
        self.unit_code = unit_code
        self.scale_code = scale_code
        self.range_join = range_join
        # the comparator phrases of the parser's grammar in words ("below or equal to", "not older than") besides
        # the reader's own: the longest phrase ending last decides ("not older than" is <=, not "older than")
        phrases = PREFIX + [(r"\s+".join(map(re.escape, p.split())), c) for p, c in comparators]
        self.prefix = [(re.compile(r"(?:^|(?<=[\s(\d]))(?:" + p + r")(?=\s|\d|$|[.(-])" if p[0].isalpha() else p,
                                   re.IGNORECASE), c) for p, c in phrases]
        self.postfix = [(re.compile(r"^\s*(?:of\s+(?:age\s+)?)?(?:" + p + r")(?![\w])", re.IGNORECASE), c)
                        for p, c in POSTFIX]

    def read(self, document: str, pieces: tuple[tuple[int, int], ...]) -> list[SpanComparison]:
        """The comparisons of one span of ``document``: its pieces, in text order, joined by a space (a
        discontinuous span, "greater than [or equal to] 1", reads as its annotators wrote it in its text field).

        The span's words decide; the document around it is read only for a unit the span leaves out: a scale
        word just before the first value ("Grade [1]", "class [III-IV]") or a unit just after a piece that ends
        with the last number ("[> 160] mmHg", and Chia's ages: "[18] years [or older]", "years" a ``Person``), or
        after the second value of a pair ("[> 160]/100 mmHg": Chia marks a blood pressure's first value only).
        """
        text = " ".join(document[s:e] for s, e in pieces)
        numbers = self._numbers(text)
        if not numbers:
            return []
        # "between the age of [18 and 45 years old]": the word that makes "and" a range is left outside the span
        between = _BETWEEN_BEFORE.search(document, max(0, pieces[0][0] - 30), pieces[0][0]) is not None
        found = [replace(f, start=_document_offset(pieces, f.start)) for f in self._read(text, numbers, between)]
        for piece_start, piece_end in pieces:
            if found[-1].unit is not None:
                break
            # "[> 160] mmHg", "[18] years [or older]": a piece ends with the last number, its unit just after it
            if _document_offset(pieces, numbers[-1].end) != piece_end:
                continue
            line_end = _LINE_END.search(document, piece_end)
            after = document[piece_end:line_end.start() if line_end else len(document)]
            # "[>160]/100mmHg": the first of a pair of values (a blood pressure) takes the unit after the pair
            paired = _PAIRED.match(after)
            skip = paired.end() if paired else 0
            unit = self._unit_words(after, skip, [], 0)
            if unit:
                found = [f if f.unit else replace(f, unit=after[unit[0]:unit[1]].strip()) for f in found]
        first = _document_offset(pieces, numbers[0].start)
        scale = self._scale_before.search(document[max(0, first - 40):first])
        if found[0].unit is None and scale and self.scale_code(scale.group(1)):
            found = [f if f.unit else replace(f, unit=scale.group(1)) for f in found]
        return found

    def _read(self, text: str, numbers: list[_Number], between: bool = False) -> list[SpanComparison]:
        found: list[SpanComparison] = []
        index = 0
        while index < len(numbers):
            number = numbers[index]
            gap_start = numbers[index - 1].end if index else 0
            number.comparator = self._prefix(text[gap_start:number.start])
            following = numbers[index + 1] if index + 1 < len(numbers) else None
            if following and self._is_range(text, number, following, between and index == 0):
                high_comparator = self._prefix(text[number.end:following.start])
                unit = self._unit(text, following.end, numbers, index + 1)
                low_unit = self._unit(text, number.end, numbers, index)
                low_code, code = (self.unit_code(low_unit), self.unit_code(unit)) if low_unit and unit else (None, None)
                # "between 1g to 2g a day" is one range in g/d: the high end's unit is the low end's per something
                if low_code and code and low_code != code and not code.startswith(low_code + "/"):
                    # "between 3 days and 4 weeks": ends in units of their own, one tuple cannot hold them
                    found.append(SpanComparison(number.start, (number.text,), ">=", low_unit))
                    found.append(SpanComparison(following.start, (following.text,), high_comparator or "<=", unit))
                elif high_comparator in (None, "between"):
                    found.append(SpanComparison(number.start, (number.text, following.text), "between", unit))
                else:  # "4 to < 17 years": two bounds
                    found.append(SpanComparison(number.start, (number.text,), ">=", unit))
                    found.append(SpanComparison(following.start, (following.text,), high_comparator, unit))
                index += 2
                continue
            unit_end = self._unit_end(text, gap_start, numbers, index - 1) if index else 0
            joined = text[unit_end:number.start]
            if number.comparator in (None, "between") and index and (_LIST_JOIN.fullmatch(joined)
                                                                     or _PAIR_JOIN.fullmatch(joined)):
                number.comparator = numbers[index - 1].comparator
            unit = self._unit(text, number.end, numbers, index)
            unit_end = self._unit_end(text, number.end, numbers, index)
            if following and not unit and _PAIR_JOIN.fullmatch(text[number.end:following.start]):
                # "150/95 or higher": the words after a pair's second value are the pair's
                tail = text[self._unit_end(text, following.end, numbers, index + 1):]
            else:
                tail = text[unit_end:following.start if following else len(text)]
            postfix = self._postfix(tail)
            comparator = number.comparator if number.comparator not in (None, "between") else postfix or "="
            stated = comparator != "=" or number.comparator == "="
            number.comparator = comparator
            found.append(SpanComparison(number.start, (number.text,), comparator, unit, stated))
            index += 1
        return found

    def _numbers(self, text: str) -> list[_Number]:
        numbers: list[_Number] = []
        for match in self.numbers.finditer(text):
            if _IDENTIFIER.search(text, 0, match.start()) and _IDENTIFIER.search(text[:match.start()]):
                continue
            named = match.group()[0].isdigit() and _NAMED.search(text, 0, match.start())
            if named and not self.numbers.fullmatch(named.group(1)) and self.unit_code(named.group(1)) is None:
                continue  # "peginterferon alfa-2a": a name's digits, not "150m-550m" after a unit
            number = _Number(match.start(), match.end(), match.group())
            if numbers and self._restates(text, numbers[-1], number):
                closing = re.match(r"\s*\)", text[number.end:])
                numbers[-1].end = number.end + (closing.end() if closing else 0)  # the unit follows the bracket
                continue
            numbers.append(number)
        return numbers

    def _restates(self, text: str, before: _Number, number: _Number) -> bool:
        """ "three (3)": a number in brackets right after another with the same value."""
        if not re.fullmatch(r"\s*\(\s*", text[before.end:number.start]):
            return False
        return self._value(before.text) == self._value(number.text)

    def _value(self, text: str) -> Optional[float]:
        try:
            return float(text.replace(",", ""))
        except ValueError:
            return self.number_words.get(text.lower())

    def _prefix(self, gap: str) -> Optional[str]:
        best: Optional[tuple[int, int, str]] = None
        for pattern, comparator in self.prefix:
            for match in pattern.finditer(gap):
                if best is None or (match.end(), -match.start()) > best[:2]:
                    best = (match.end(), -match.start(), comparator)
        return best[2] if best else None

    def _postfix(self, tail: str) -> Optional[str]:
        for pattern, comparator in self.postfix:
            if pattern.match(tail):
                return comparator
        return None

    def _is_range(self, text: str, number: _Number, following: _Number, between: bool = False) -> bool:
        gap = text[number.end:following.start]
        joined = self.range_join.fullmatch(gap) or re.fullmatch(r"\s*(?:to|-)\s*(?:<|≤|<=|less\s+than)\s*", gap)
        if not joined:
            # "18 years to 65 years", "7.1% and 11.0%": the unit written at both ends
            joined = re.fullmatch(r"\s*([^\s\d]+)(?:\s+of\s+age)?\s*(?:-|–|to|and)\s*(?:(?:<|≤|<=|less\s+than)\s*)?",
                                  gap)
            if not joined or self.unit_code(joined.group(1)) is None:
                return False
        if "and" in gap.lower() and not between and not re.search(r"between\b\D*$", text[:number.start], re.IGNORECASE):
            return False
        return True

    def _unit_end(self, text: str, start: int, numbers: list[_Number], index: int) -> int:
        words = self._unit_words(text, start, numbers, index)
        return words[1] if words else start

    def _unit(self, text: str, start: int, numbers: list[_Number], index: int) -> Optional[str]:
        words = self._unit_words(text, start, numbers, index)
        if words:
            return text[words[0]:words[1]].strip()
        following = numbers[index + 1] if index + 1 < len(numbers) else None
        gap = text[start:following.start] if following else ""
        listed = re.fullmatch(r"[\s,]*(?:or|and|,)\s*(.*?)\s*", gap)
        if following and (listed and (not listed.group(1) or self._prefix(listed.group(1)) is not None)
                          or _PAIR_JOIN.fullmatch(gap)):
            # "at 500, 1000 Hz": values before a unit; "≥ 18 and < 70 years": a bound before another bound
            return self._unit(text, following.end, numbers, index + 1)
        return None

    def _unit_words(self, text: str, start: int, numbers: list[_Number], index: int) -> Optional[tuple[int, int]]:
        """The longest run of words after ``start`` (before the next number) that is a known unit."""
        stop = numbers[index + 1].start if index + 1 < len(numbers) else len(text)
        if re.match(r"-[^\W\d]", text[start:stop]):  # "7-day", "a 3-hour walk": a unit joined by a hyphen
            start += 1
        tail = text[start:stop]
        # a unit ending in an exponent may touch the next word, as the parser reads it: "50 cells/mm3or less"
        ends = sorted({m.end() for m in re.finditer(r"[^\s(),;]+", tail)}
                      | {m.end() for m in re.finditer(r"\d(?=[^\W\d_])", tail)})[:7]
        for end in reversed(ends):
            words = tail[:end].strip(" .,;:")
            if words and self.unit_code(words) is not None:
                return start, start + end
        return None


#: Between a value span and the span restating it in brackets: "[< 75 mmol/mol] ([9.0%])".
_RESTATED_SPAN = re.compile(r"\s*[(\[]\s*")


def restated(document: str, spans: list[tuple[tuple[tuple[int, int], ...], list[SpanComparison]]]
             ) -> list[tuple[tuple[tuple[int, int], ...], list[SpanComparison]]]:
    """``spans`` (pieces, items; in text order) where a span that states no comparator and restates the value
    span before it in brackets, in another unit, takes that span's comparator: Chia marks "[< 75 mmol/mol]
    ([9.0%])" as two spans, and the limit is < 9.0% too, as the parser reads it (issue 13)."""
    out = list(spans)
    for index in range(1, len(out)):
        (before, limit), (pieces, items) = out[index - 1], out[index]
        if (limit and items and limit[-1].comparator not in ("=", "between") and not any(i.stated for i in items)
                and _RESTATED_SPAN.fullmatch(document, before[-1][1], pieces[0][0])):
            out[index] = (pieces, [replace(i, comparator=limit[-1].comparator, stated=True) for i in items])
    return out


#: The second value of a pair after a span ("/100" of "[>160]/100 mmHg").
_PAIRED = re.compile(r"\s*/\s*\d+(?:[.,]\d+)?")


def value_spans(annotation: Annotation) -> list[tuple[tuple[int, int], ...]]:
    """The pieces of every Chia value span of ``annotation`` (``Value``, ``Temporal``, ``Multiplier``) outside
    :func:`unmodeled` text, by position (one piece, or several for a discontinuous span)."""
    skip = unmodeled(annotation)
    return sorted(e.fragments or ((e.start, e.end),) for e in annotation.entities.values()
                  if e.type in VALUE_TYPES and not any(s <= e.start < end for s, end in skip))


def _document_offset(pieces: tuple[tuple[int, int], ...], at: int) -> int:
    """Where offset ``at`` of the pieces joined by a space falls in the document."""
    for start, end in pieces:
        if at <= end - start:
            return start + at
        at -= end - start + 1
    return pieces[-1][1]


def unmodeled(annotation: Annotation) -> list[tuple[int, int]]:
    """The spans of criteria Chia's annotators did not model (:data:`UNMODELED_TYPES`): nothing in them is scored."""
    return [(e.start, e.end) for e in annotation.entities.values() if e.type in UNMODELED_TYPES]


__all__ = ["POSTFIX", "PREFIX", "SpanComparison", "SpanReader", "UNMODELED_TYPES", "VALUE_TYPES", "restated",
           "unmodeled", "value_spans"]
