"""Compile grammar phrases into regular expressions that find them in text.

One place decides how a phrase is matched: case-insensitively unless asked,
whitespace in a phrase matching any run of whitespace (listings wrap lines),
word boundaries where the phrase starts or ends with a letter or digit, and
longer phrases preferred at the same position.
"""

from __future__ import annotations

import re
from typing import Iterable


def phrase_pattern(phrase: str, glued: bool = False) -> str:
    """The regex source for one phrase; a ``glued`` phrase may follow a word character ("30kg")."""
    parts = [re.escape(part) for part in phrase.split()]
    if glued:  # units: "mmol/ l", "mg /dL"
        parts = [part.replace("/", r"\s?/\s?") for part in parts]
    body = r"\s+".join(parts) if parts else re.escape(phrase)
    head = r"(?<![\w])" if phrase[:1].isalnum() and not glued else ""
    tail = r"(?![\w])" if phrase[-1:].isalnum() else ""
    return head + body + tail


def compile_phrases(phrases: Iterable[str], case_sensitive: bool = False, glued: bool = False) -> re.Pattern[str]:
    """One regex matching any of ``phrases``, longest first (``glued``: see :func:`phrase_pattern`)."""
    unique = sorted(set(phrases), key=lambda p: (-len(p), p))
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile("|".join(phrase_pattern(p, glued) for p in unique), flags)


def normalize(text: str) -> str:
    """Lower-case ``text`` and fold its whitespace, for looking a matched phrase up in a table."""
    return " ".join(text.lower().split())
