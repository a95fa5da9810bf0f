"""Numbers as criteria write them: digits, roman numerals of ordinal scales and number words.

Used by ``criteria_quantities`` (:mod:`.quantities`). Digits may group thousands ("1,500"), carry a decimal
comma ("7,0 mmol/l") or be a power of ten ("10^3"); a number glued to letters ("CD5", "COVID-19", "2nd") is an
identifier, not a value. Number words and roman numerals ("III", "Ⅲ") come from ``grammars/numbers.jsonl``;
a number word is flagged ``number_word``.
"""

from __future__ import annotations

import re
import string
from typing import Optional

from ..grammar.loader import Grammars
from ..grammar.phrases import compile_phrases, normalize
from ..model import Flag, FlagKind
from .comparators import comparator_characters

#: A decimal comma ("7,0 mmol/l", "between 18,5 and 35"); without a unit or comparator "1,2" lists two values
#: ("ASA status 1,2"), and so does one before "or" or another comma ("grade 1,2 or 3").
_DECIMAL_COMMA = r"\d+,\d{1,2}(?![\d,])(?!\s*(?:or|,)\s*\d)|"
#: Thousands grouped by a space ("100 000/mm3"; a thin or no-break space too); the first group is not 0.
_SPACED_THOUSANDS = r"[1-9]\d{0,2}(?:[ \u00a0\u2009\u202f]\d{3})+(?![\d,.])(?!\s\d)|"
#: A power of ten ("10^3 CFU/mL") is its value, not 10.
DIGITS = (r"(?:10\^\d{1,2}(?![\d.])|\d{1,3}(?:,\d{3})+(?![\d,])|" + _SPACED_THOUSANDS + _DECIMAL_COMMA
          + r"\d+)(?:\.\d+)?")
#: A number not glued to a word before it ("CD5", "x10", "COVID-19"), not the minutes of a clock time ("22:00"),
#: nor followed by an ordinal suffix or digit, nor the hex digits of a code point a text spells out for a character
#: it could not store (Chia's "<U+2267>" for "≧", "<U+3001>" for "、").
_NUMBER = re.compile(r"(?<![\w.^*/])(?<!\d:)(?<![A-Za-z]-)(?<![A-Za-z]\.)(?<![A-Za-z],)(?<!U\+)" + DIGITS
                     + r"(?!\d|st\b|nd\b|rd\b|th\b|\.\d|,\d{3}(?!\d))")


class NumberReader:
    """Finds and reads numbers with the number words of one grammar set.

    ``pattern`` finds a number (groups ``digits``, ``roman``, ``word``); ``listed`` is the same without decimal
    commas, for values listed with commas ("1,2"); ``range_end`` finds the high end of a range, which may
    follow a letter and a hyphen ("8yr-18yrs").
    """

    def __init__(self, grammars: Grammars) -> None:
        self.words = {normalize(w): (rule, rule.value) for rule in grammars.numbers for w in rule.words}
        self._numerals = {numeral: rule.value for rule in grammars.numbers for numeral in rule.numerals}
        word_re = compile_phrases(self.words)
        roman = roman_pattern(grammars)
        self.pattern = re.compile(f"(?P<digits>{_NUMBER.pattern})|(?P<roman>{roman})|(?P<word>{word_re.pattern})",
                                  re.IGNORECASE)
        self.listed = re.compile(self.pattern.pattern.replace(_DECIMAL_COMMA, ""), re.IGNORECASE)
        self.range_end = re.compile(self.pattern.pattern.replace("(?<![A-Za-z]-)", "", 1), re.IGNORECASE)
        #: a minus sign of a negative value ("T-score ≤ -2.5", "-1 to -10 diopters"): a hyphen or minus touching the
        #: digits, after a space, a bracket or a comparator sign, and not after a number (that "6 -11" is a range)
        self._sign = re.compile(r"(?:^|(?<=[\s(\[:" + re.escape(comparator_characters(grammars))
                                + r"]))(?<!\d\s)(?<!\d\s\s)[-−]$")

    def is_word(self, word: str) -> bool:
        """Whether ``word`` is a number word ("four")."""
        return normalize(word) in self.words

    def negative(self, text: str, match: re.Match[str]) -> bool:
        """Whether the digits of a match of :attr:`pattern` carry a minus sign of their own."""
        return bool(match.group("digits")) and bool(self._sign.search(text, max(0, match.start() - 4), match.start()))

    def value(self, match: re.Match[str]) -> tuple[float, Optional[Flag]]:
        """The value of a match of :attr:`pattern`, and the ``number_word`` flag of a number word."""
        if match.group("digits"):
            return digits_value(match.group("digits")), None
        if match.group("roman"):
            return float(self._numerals[match.group("roman")]), None
        read = match.group("word")
        rule, value = self.words[normalize(read)]
        understood = f"{value:g}"
        return value, Flag(kind=FlagKind.NUMBER_WORD, read=read, understood=understood,
                           start=match.start(), end=match.end(), rule=rule.id)


def roman_letters(grammars: Grammars) -> list[str]:
    """The roman numerals of ``numbers.jsonl`` in upper-case letters, longest first ("VIII", ..., "X", "I")."""
    return sorted((n for n in grammars.numerals() if n.isascii()), key=lambda n: (-len(n), n))


def roman_pattern(grammars: Grammars) -> str:
    """A roman numeral of an ordinal scale ("NYHA III", "ASA I-II"), from the ``numerals`` of ``numbers.jsonl``:
    in upper-case letters, a word of its own, not after a hyphen that follows another letter ("HER-II") but after
    one that follows a numeral ("I-II"); a roman numeral sign ("GradeⅠ") may follow a word directly."""
    numerals = grammars.numerals()
    letters = roman_letters(grammars)
    signs = "".join(sorted(n for n in numerals if not n.isascii()))
    if not numerals:
        return r"(?!)"
    used = set("".join(letters))
    others = "".join(c for c in string.ascii_uppercase if c not in used) + string.ascii_lowercase
    words = r"(?<![\w.])(?<![" + others + r"]-)(?:" + "|".join(letters) + ")" if letters else r"(?!)"
    return r"(?-i:(?:" + words + (r"|[" + re.escape(signs) + "]" if signs else "") + r")(?![\w]))"


_TWO_DECIMAL_MARKS = re.compile(r"\d+,\d{1,2}\.\d+")


def digits_value(digits: str) -> float:
    """The value of digits as written: "1,500" and "1 500" are 1500, a decimal comma "7,0" is 7.0, "10^3" is 1000."""
    if digits.startswith("10^"):
        return 10.0 ** int(digits[3:])
    if re.fullmatch(r"\d+,\d{1,2}", digits):
        return float(digits.replace(",", "."))
    return float(re.sub(r"[,\s]", "", digits))


def readable(digits: str) -> bool:
    """Whether digits as written have one value: "2,3.7" (a decimal comma and a decimal point) has none."""
    return not _TWO_DECIMAL_MARKS.fullmatch(digits)
