"""Numbers as criteria write them: digits, roman numerals of ordinal scales and number words.

Used by ``criteria_quantities`` (:mod:`.quantities`). Digits may group thousands ("1,500"), carry a decimal
comma ("7,0 mmol/l") or be a power of ten ("10^3"); a number glued to letters ("CD5", "COVID-19", "2nd") is an
identifier, not a value. Number words come from ``grammars/numbers.jsonl`` and are flagged ``number_word``.
"""

from __future__ import annotations

import re
from typing import Optional

from ..grammar.loader import Grammars
from ..grammar.phrases import compile_phrases, normalize
from ..model import Flag, FlagKind

#: A decimal comma ("7,0 mmol/l", "between 18,5 and 35"); without a unit or comparator "1,2" lists two values
#: ("ASA status 1,2"), and so does one before "or" or another comma ("grade 1,2 or 3").
_DECIMAL_COMMA = r"\d+,\d{1,2}(?![\d,])(?!\s*(?:or|,)\s*\d)|"
#: Thousands grouped by a space ("100 000/mm3"; a thin or no-break space too); the first group is not 0.
_SPACED_THOUSANDS = r"[1-9]\d{0,2}(?:[ \u00a0\u2009\u202f]\d{3})+(?![\d,.])(?!\s\d)|"
#: A power of ten ("10^3 CFU/mL") is its value, not 10.
DIGITS = (r"(?:10\^\d{1,2}(?![\d.])|\d{1,3}(?:,\d{3})+(?![\d,])|" + _SPACED_THOUSANDS + _DECIMAL_COMMA
          + r"\d+)(?:\.\d+)?")
#: A number not glued to a word before it ("CD5", "x10", "COVID-19"), not the minutes of a clock time ("22:00"),
#: nor followed by an ordinal suffix or digit.
_NUMBER = re.compile(r"(?<![\w.^*/])(?<!\d:)(?<![A-Za-z]-)(?<![A-Za-z]\.)(?<![A-Za-z],)" + DIGITS
                     + r"(?!\d|st\b|nd\b|rd\b|th\b|\.\d|,\d{3}(?!\d))")
#: A roman numeral of an ordinal scale ("NYHA III", "ASA I-II"): upper case, a word of its own; a roman numeral
#: sign ("GradeⅠ", U+2160 to U+2169) may follow a word directly.
ROMAN = r"(?-i:(?:(?<![\w.])(?<![A-HJ-UWYZa-z]-)(?:VIII|VII|VI|IV|IX|V|III|II|I|X)|[Ⅰ-Ⅹ])(?![\w]))"
_ROMAN_VALUES = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}
_ROMAN_VALUES.update({chr(0x2160 + value - 1): value for value in _ROMAN_VALUES.values()})  # Ⅰ (U+2160) to Ⅹ
#: A minus sign of a negative value ("T-score ≤ -2.5", "-1 to -10 diopters"): a hyphen or minus touching the digits,
#: after a space, a bracket or a comparator, and not after a number (that "6 -11" is a range).
_SIGN = re.compile(r"(?:^|(?<=[\s(\[:=<>≤≥≦≧＜＞]))(?<!\d\s)(?<!\d\s\s)[-−]$")


class NumberReader:
    """Finds and reads numbers with the number words of one grammar set.

    ``pattern`` finds a number (groups ``digits``, ``roman``, ``word``); ``listed`` is the same without decimal
    commas, for values listed with commas ("1,2"); ``range_end`` finds the high end of a range, which may
    follow a letter and a hyphen ("8yr-18yrs").
    """

    def __init__(self, grammars: Grammars) -> None:
        self.words = {normalize(w): (rule, rule.value) for rule in grammars.numbers for w in rule.words}
        word_re = compile_phrases(self.words)
        self.pattern = re.compile(f"(?P<digits>{_NUMBER.pattern})|(?P<roman>{ROMAN})|(?P<word>{word_re.pattern})",
                                  re.IGNORECASE)
        self.listed = re.compile(self.pattern.pattern.replace(_DECIMAL_COMMA, ""), re.IGNORECASE)
        self.range_end = re.compile(self.pattern.pattern.replace("(?<![A-Za-z]-)", "", 1), re.IGNORECASE)

    def is_word(self, word: str) -> bool:
        """Whether ``word`` is a number word ("four")."""
        return normalize(word) in self.words

    def value(self, match: re.Match[str]) -> tuple[float, Optional[Flag]]:
        """The value of a match of :attr:`pattern`, and the ``number_word`` flag of a number word."""
        if match.group("digits"):
            return digits_value(match.group("digits")), None
        if match.group("roman"):
            return float(_ROMAN_VALUES[match.group("roman")]), None
        read = match.group("word")
        rule, value = self.words[normalize(read)]
        understood = f"{value:g}"
        return value, Flag(kind=FlagKind.NUMBER_WORD, read=read, understood=understood,
                           start=match.start(), end=match.end(), rule=rule.id)


def digits_value(digits: str) -> float:
    """The value of digits as written: "1,500" and "1 500" are 1500, a decimal comma "7,0" is 7.0, "10^3" is 1000."""
    if digits.startswith("10^"):
        return 10.0 ** int(digits[3:])
    if re.fullmatch(r"\d+,\d{1,2}(?:\.\d+)?", digits):
        return float(digits.replace(",", "."))
    return float(re.sub(r"[,\s]", "", digits))


def negative(text: str, match: re.Match[str]) -> bool:
    """Whether the digits of ``match`` carry a minus sign of their own (``_SIGN``)."""
    return bool(match.group("digits")) and bool(_SIGN.search(text, max(0, match.start() - 4), match.start()))
