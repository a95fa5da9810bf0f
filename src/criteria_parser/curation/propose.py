"""Propose a constraint row for a piece of listing text the curator selected.

The parser's pipeline reads the selection alone; its first constraint, moved
to the selection's offsets, fills the new row. When it finds none, the row
gets the selection as its text and the first number in it as its value, for
the curator to finish.
"""

from __future__ import annotations

import re

from ..parser import Parser
from ..parser import shift_constraint
from .edits import row_values

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def propose(parser: Parser, text: str, start: int, end: int) -> dict[str, str]:
    """Row values for a new constraint over ``text[start:end]`` (offsets into the listing)."""
    piece = text[start:end]
    doc = parser.nlp.make_doc(piece)
    doc._.cp_context = []
    found = parser.nlp(doc)._.cp_constraints
    if found:
        return row_values(shift_constraint(found[0], start))
    number = _NUMBER.search(piece)
    value_start, value_end = (number.start(), number.end()) if number else (0, len(piece))
    return {
        "kind": "threshold", "comparator": "=", "value": number.group().replace(",", ".") if number else "",
        "start": str(start + value_start), "end": str(start + value_end),
        "text_start": str(start), "text_end": str(end),
    }
