"""Propose a constraint row (or an entity row) for a piece of listing text the curator selected.

The parser's pipeline reads the selection alone; its first constraint, moved
to the selection's offsets, fills the new row (without an id or an entity:
the curator links it, the save numbers it). When it finds none, the row gets
the selection as its text and the first number in it as its value, for the
curator to finish. An entity row takes the type and concept of the entity the
parser finds over the whole selection, else it is a condition without concept.
A constraint's subject set from a selection takes the selection as its words,
and the concept of the entity the parser finds over them (or, when none spans
them all, of the longest one inside them, "Number of blasts in the bone marrow
(protolychic + larvae)" is bone marrow blasts); with none it is an open
subject, the words themselves. That entity comes with it, for the row to limit.
"""

from __future__ import annotations

import re
from typing import Optional

from ..model import Entity
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


#: What a selection is read in: one inclusion criterion of its own.
_FRAME = "Inclusion Criteria:\n1. "


def _entities_in(parser: Parser, text: str, start: int, end: int) -> list[Entity]:
    """The entities the parser finds in ``text[start:end]`` read alone, moved to the listing's offsets."""
    listing = parser.parse_text(_FRAME + text[start:end])
    shift = start - len(_FRAME)
    return [e.model_copy(update={"start": e.start + shift, "end": e.end + shift})
            for _, c in listing.walk() for e in c.entities]


def _entity_values(entity: Optional[Entity], start: int, end: int) -> dict[str, str]:
    """Entity row values for ``entity`` (a condition without concept over ``start``-``end`` when none)."""
    values = {"type": "condition", "start": str(start), "end": str(end), "concept": "", "name": "", "code": "",
              "rule": "curator", "id": ""}
    if entity is not None:
        values.update(type=entity.type, start=str(entity.start), end=str(entity.end), concept=entity.concept or "",
                      name=entity.name or "", code=entity.code or "", rule=entity.rule or "curator")
    return values


def propose_entity(parser: Parser, text: str, start: int, end: int) -> dict[str, str]:
    """Entity row values for ``text[start:end]`` (offsets into the listing)."""
    whole = [e for e in _entities_in(parser, text, start, end) if (e.start, e.end) == (start, end)]
    return _entity_values(whole[0] if whole else None, start, end)


def propose_subject(parser: Parser, text: str, start: int, end: int) -> dict[str, dict[str, str]]:
    """A constraint's subject over ``text[start:end]``, and the entity it limits.

    Returns:
        ``{"values": subject fields of a constraint row, "entity": entity row values}``.
    """
    found = _entities_in(parser, text, start, end)
    known = [e for e in found if e.concept]
    entity = max(known or found, key=lambda e: ((e.start, e.end) == (start, end), e.end - e.start), default=None)
    words = text[start:end]
    concept = entity.concept if entity is not None else None
    values = {"subject": (entity.name if concept and entity.name else words), "subject_text": words,
              "subject_start": str(start), "subject_end": str(end), "subject_concept": concept or "",
              "subject_code": (entity.code or "") if concept else "", "open_subject": "" if concept else "true"}
    if entity is None:
        return {"values": values, "entity": _entity_values(None, start, end)}
    return {"values": values, "entity": _entity_values(entity, entity.start, entity.end)}
