"""Cut listing text into segments at every constraint span edge, for highlighting.

Each :class:`Segment` knows which constraints cover it (their whole text) and
which cover it with their value; the templates colour a segment by the kind
of its innermost constraint. Segments carry their start offset, so the page
can turn a selection back into offsets of the original file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from ..model import Constraint, Entity, Listing


@dataclass(frozen=True)
class Mark:
    """One constraint to highlight: its text span, value span, kind and the id of its row."""

    ref: str
    kind: str
    text_start: int
    text_end: int
    start: int
    end: int
    label: str = ""


@dataclass
class Segment:
    """A run of text covered by the same constraints."""

    start: int
    text: str
    kind: str = ""
    refs: list[str] = field(default_factory=list)
    value: bool = False
    closing: list[Mark] = field(default_factory=list)


def limit(constraint: Constraint) -> str:
    """A constraint's limit as the pages show it: comparator, value(s) and unit (``<= 51 umol/L``, ``between
    0-2``, ``<= 3 x ULN``, ``= III``)."""
    value = constraint.category if constraint.value is None else f"{constraint.value:g}"
    if constraint.value_high is not None:
        value += f"-{constraint.value_high:g}"
    parts = [constraint.comparator, value, constraint.unit or "",
             f"x {constraint.relative_to}" if constraint.relative_to else ""]
    return " ".join(p for p in parts if p)


def describe(constraint: Constraint) -> str:
    """A constraint in a few words: ``threshold · total bilirubin <= 51 umol/L``."""
    parts = [constraint.subject or "?", limit(constraint),
             f"{constraint.direction} {constraint.anchor}" if constraint.anchor else ""]
    return f"{constraint.kind.replace('_', ' ')} · " + " ".join(p for p in parts if p)


def describe_entity(entity: Entity) -> str:
    """An entity in a few words: ``measurement · creatinine (lex.creatinine)``."""
    concept = f" ({entity.concept})" if entity.concept else " (open)"
    return f"{entity.type} · {entity.text}{concept}"


def marks(listing: Listing, labelled: bool = False) -> list[Mark]:
    """A mark per constraint of ``listing``, ids ``c0``, ``c1``... in :meth:`Listing.constraints` order."""
    return [
        Mark(f"c{i}", c.kind, c.text_start, c.text_end, c.start, c.end, describe(c) if labelled else "")
        for i, (_, _, c) in enumerate(listing.constraints())
    ]


def segments(text: str, start: int, end: int, found: Iterable[Mark]) -> list[Segment]:
    """Segments of ``text[start:end]``; ``closing`` lists the marks whose text ends with the segment."""
    found = [m for m in found if m.text_start < end and m.text_end > start]
    edges = {start, end}
    # a segment never ends between CR and LF: HTML would fold the pair into one character and shift the offsets
    edges.update(i + 1 for i in range(start, end - 1) if text[i] == "\r")
    for mark in found:
        edges.update(e for e in (mark.text_start, mark.text_end, mark.start, mark.end) if start < e < end)
    ordered = sorted(edges)
    result = []
    for lo, hi in zip(ordered, ordered[1:]):
        covering = sorted((m for m in found if m.text_start <= lo and hi <= m.text_end),
                          key=lambda m: m.text_end - m.text_start)
        result.append(Segment(
            start=lo,
            text=text[lo:hi],
            kind=covering[0].kind if covering else "",
            refs=[m.ref for m in covering],
            value=any(m.start <= lo and hi <= m.end for m in covering),
            closing=[m for m in covering if m.text_end == hi],
        ))
    return result
