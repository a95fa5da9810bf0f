"""Propose a constraint row (or an entity row) for a piece of listing text the curator selected.

The parser's pipeline reads the selection alone; its first constraint, moved
to the selection's offsets, fills the new row (without an id or an entity:
the curator links it, the save numbers it). When it finds none, the row gets
the selection as its text and the first number in it as its value, for the
curator to finish. An entity row takes the type and concept of the entity the
parser finds over the whole selection, else it is a condition without concept.
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
        return {**row_values(shift_constraint(found[0], start)), "id": "", "entity": ""}
    number = _NUMBER.search(piece)
    value_start, value_end = (number.start(), number.end()) if number else (0, len(piece))
    return {
        "kind": "threshold", "comparator": "=", "value": number.group().replace(",", ".") if number else "",
        "start": str(start + value_start), "end": str(start + value_end),
        "text_start": str(start), "text_end": str(end),
    }


def propose_entity(parser: Parser, text: str, start: int, end: int) -> dict[str, str]:
    """Entity row values for ``text[start:end]`` (offsets into the listing)."""
    listing = parser.parse_text("Inclusion Criteria:\n1. " + text[start:end])
    offset = len("Inclusion Criteria:\n1. ")
    whole = [e for _, c in listing.walk() for e in c.entities if (e.start, e.end) == (offset, offset + end - start)]
    values = {"type": "condition", "start": str(start), "end": str(end), "concept": "", "name": "", "code": "",
              "rule": "curator", "id": ""}
    if whole:
        values.update(type=whole[0].type, concept=whole[0].concept or "", name=whole[0].name or "",
                      code=whole[0].code or "", rule=whole[0].rule or "curator")
    return values
