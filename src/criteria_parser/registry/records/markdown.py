"""Remove the Markdown backslash escapes of ClinicalTrials.gov API v2 text, keeping offsets.

CT.gov writes ``\\>=``, ``\\<``, ``\\*`` and the like; the parser reads the
unescaped text, and :func:`unescape` returns, for every character of it, its
offset in the escaped text, so spans can be moved back to the stored text.
"""

from __future__ import annotations

import re

#: CommonMark: a backslash before ASCII punctuation escapes it.
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def unescape(text: str) -> tuple[str, list[int]]:
    """The text without escaping backslashes, and the offset in ``text`` of each character kept.

    The offsets list has one extra entry, ``len(text)``, so an exclusive end maps too.
    """
    out: list[str] = []
    offsets: list[int] = []
    position = 0
    for match in _ESCAPE.finditer(text):
        out.append(text[position:match.start()])
        offsets.extend(range(position, match.start()))
        out.append(match.group(1))
        offsets.append(match.start() + 1)
        position = match.end()
    out.append(text[position:])
    offsets.extend(range(position, len(text) + 1))
    return "".join(out), offsets

