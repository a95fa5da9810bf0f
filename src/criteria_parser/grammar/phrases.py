"""Compile grammar phrases into regular expressions that find them in text.

One place decides how a phrase is matched: case-insensitively unless asked,
whitespace in a phrase matching any run of whitespace, a line break included
(listings wrap lines; a space at a phrase's edge must stand in the text too:
". " is a full stop before a space, not the one in "1.5"), word boundaries
where the phrase starts or ends with a letter or digit, and the longest phrase
preferred at a position. The phrases are folded into a
character trie before they become a regex, so the engine rejects a position
on its first character instead of trying every phrase there (several times
faster than a plain alternation on lexicons of hundreds of phrases).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

_END = ""  # trie key marking the end of a phrase
_ASCII_DIGITS = "0123456789"


def _trie(phrases: Iterable[str]) -> dict:
    root: dict = {}
    for phrase in phrases:
        node = root
        for part in re.split(r"(\s+)", phrase):
            if part.isspace():  # any run of whitespace, also at an edge: ". " is a full stop before a space
                node = node.setdefault(" ", {})
                continue
            for char in part:
                node = node.setdefault(char, {})
        node[_END] = phrase
    return root


def _emit(node: dict, glued: bool = False) -> str:
    branches = []
    for key in sorted(k for k in node if k != _END):
        edge = r"\s+" if key == " " else r"\s?[/⁄∕]\s?" if key == "/" and glued else re.escape(key)
        branches.append(edge + _emit(node[key], glued))
    if _END in node:
        phrase = node[_END]
        # a glued phrase (a unit) ending in an exponent may touch the next word: "50 cells/mm3or less", "mm3if"
        branches.append(r"(?!\d)" if glued and phrase[-1:] in _ASCII_DIGITS else r"(?!\w)" if phrase[-1:].isalnum()
                        else "")
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


def phrase_pattern(phrase: str) -> str:
    """The regex source for one phrase."""
    return compile_source([phrase])


def compile_source(phrases: Iterable[str], case_sensitive: bool = True, glued: bool = False,
                   after_digit: bool = False) -> str:
    """The regex source matching any of ``phrases``, longest first, with word boundaries.

    A ``glued`` phrase (a unit) may follow a word character ("30kg") and may have spaces around a slash
    ("mmol/ l"), or another slash (:data:`_SLASHES`); one ending in a digit may touch the word after it
    ("mm3or less"). An ``after_digit`` phrase may follow a digit ("mm3*or less*"), not a letter.
    """
    cleaned = {p if case_sensitive else p.lower() for p in phrases if p.strip()}
    words = _trie(p for p in cleaned if p[:1].isalnum())
    symbols = _trie(p for p in cleaned if not p[:1].isalnum())
    parts = []
    if words:
        parts.append(("" if glued else r"(?<![^\W\d])" if after_digit else r"(?<!\w)") + _emit(words, glued))
    if symbols:
        parts.append(_emit(symbols, glued))
    return "|".join(f"(?:{p})" for p in parts) or r"(?!)"


def compile_phrases(phrases: Iterable[str], case_sensitive: bool = False, glued: bool = False,
                    after_digit: bool = False) -> re.Pattern[str]:
    """One regex matching any of ``phrases``, longest first (``glued``, ``after_digit``: see
    :func:`compile_source`)."""
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile(compile_source(phrases, case_sensitive, glued, after_digit), flags)


@lru_cache(maxsize=None)
def phrase_regex(phrase: str) -> re.Pattern[str]:
    """One phrase, compiled case-insensitively (cached); "myocardial infarction" also finds it wrapped over two lines."""
    return compile_phrases([phrase])


#: Slashes a unit may be written with ("mg⁄dL": the fraction slash U+2044, the division slash U+2215).
_SLASHES = str.maketrans({"⁄": "/", "∕": "/"})


def normalize(text: str) -> str:
    """Case-fold ``text``, fold its whitespace and its slashes, for looking a matched phrase up in a table (case
    folding makes the micro sign µ and the Greek mu μ one letter, as the case-insensitive patterns match them)."""
    return " ".join(text.casefold().translate(_SLASHES).split())
