"""What the pipeline components find, stored on ``Doc`` extensions.

Offsets are character offsets into ``doc.text``. Every match names the grammar
rule that made it, so a curator can trace a value to its rule.

Doc extensions (registered by :func:`register_extensions`):

- ``doc._.cp_context``: ``(text, offset)`` of each ancestor criterion, nearest first, set by the caller;
  ``offset`` is where the ancestor's text starts relative to this doc (negative: it comes before).
- ``doc._.cp_quantities``: :class:`Quantity` list (``criteria_quantities``).
- ``doc._.cp_cues``: :class:`Cue` list (``criteria_comparators``).
- ``doc._.cp_mentions``: :class:`Mention` list (``criteria_subjects``).
- ``doc._.cp_entities``: the entity model's mentions (``criteria_entities``, when in the pipeline): objects with
  ``start``, ``end``, ``text``, ``type`` (a ``model.EntityType`` value) and ``rule``.
- ``doc._.cp_found``: :class:`Found` list, the criterion's entities with their local ids ``e1``, ``e2``, ...
  (``criteria_constraints``); each constraint's ``entity`` names one of them.
- ``doc._.cp_constraints``: ``model.Constraint`` list (``criteria_constraints``).
- ``doc._.cp_exceptions``: ``(start, end)`` of each "except ..." clause (``criteria_constraints``).
- ``doc._.cp_any_children``: whether the text says its sub-items combine with "any" (``criteria_constraints``).
- ``doc._.cp_exclusion``: whether the criterion is an exclusion, set by the caller.
- ``doc._.cp_modifiers``: ConText cues with their scopes, ``grammar.context.Modifier`` list (``criteria_context``).
- ``doc._.cp_clauses``: assertions, clauses, exceptions and the logic tree, a ``pipeline.clauses.ClauseStructure``
  (``criteria_clauses``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from spacy.tokens import Doc

from ..grammar.loader import LexiconEntry
from ..model import Flag


@dataclass(frozen=True)
class UnitMatch:
    """A unit written after a number; ``candidates`` holds several UCUM codes only for a garbled unit."""

    start: int
    end: int
    text: str
    candidates: tuple[str, ...]
    dimension: str
    rule: str
    repaired: bool = False
    typo: Optional[str] = None  # the unit form a misspelled unit was read as ("monhts" -> "months")


@dataclass(frozen=True)
class Reference:
    """A relative limit after a number: ``times the upper limit of normal`` (ULN), or a bare fold."""

    start: int
    end: int
    relative_to: str
    rule: str
    comparator: Optional[str] = None  # stated between the multiplier and the reference: "twice higher than normal"
    comparator_rule: Optional[str] = None


@dataclass
class Quantity:
    """A number or range, with the unit and relative reference that follow it."""

    start: int
    end: int
    value: float
    value_high: Optional[float] = None
    unit: Optional[UnitMatch] = None
    reference: Optional[Reference] = None
    joiner: Optional[str] = None  # range joiner as written ("-", "to", "and")
    category: Optional[str] = None  # a roman numeral value ("III", or "I-II" for a range)
    paired: bool = False  # the second value of "140/90 mmHg"
    pair_end: Optional[int] = None  # on the first, larger value of a pair: where the second and its unit end
    #: a range end read apart (its ends have other units, or the high end is strict): ">=" on the low end,
    #: "<=" on a high end without comparator; ``upper`` is the high end, found with the low end
    bound: Optional[str] = None
    upper: Optional["Quantity"] = None
    flags: list[Flag] = field(default_factory=list)
    rule: str = "quantity.number"

    @property
    def text_end(self) -> int:
        """End of the quantity with its unit and reference."""
        ends = [self.end]
        if self.unit:
            ends.append(self.unit.end)
        if self.reference:
            ends.append(self.reference.end)
        return max(ends)


@dataclass(frozen=True)
class Cue:
    """A comparator, time relation, anchor or logic word."""

    start: int
    end: int
    text: str
    kind: str  # comparator | time_relation | anchor | alternative | exception | any_children
    value: Optional[str] = None  # "<=", "before", "infusion"
    direction: Optional[str] = None  # time relations
    position: str = "prefix"
    respelled: bool = False
    rule: str = ""


@dataclass(frozen=True)
class Mention:
    """A lexicon entry found in the text; ``typo`` is (read, understood) when fuzzy-matched."""

    start: int
    end: int
    text: str
    entry: LexiconEntry
    typo: Optional[tuple[str, str, int, int]] = None


@dataclass
class Found:
    """One entity of a criterion as the pipeline found it: a lexicon mention, a mention of the entity model, or
    the words a value limits (an open subject)."""

    start: int
    end: int
    text: str
    type: str  # a model.EntityType value
    entry: Optional[LexiconEntry] = None  # the concept, when the lexicon knows it
    rule: str = ""
    typo: Optional[tuple[str, str, int, int]] = None  # as :attr:`Mention.typo`
    id: str = ""  # local to the doc: "e1", "e2", ... by position

    @classmethod
    def of(cls, mention: "Mention") -> "Found":
        """The entity of a lexicon mention."""
        return cls(mention.start, mention.end, mention.text, mention.entry.type or "observation", mention.entry,
                   mention.entry.id, mention.typo)


def text_of(doc: Doc) -> str:
    """``doc.text``, computed once per doc (spaCy joins every token's text on each access)."""
    text = doc.user_data.get("cp_text")
    if text is None:
        text = doc.user_data["cp_text"] = doc.text
    return text


def register_extensions() -> None:
    """Register the ``Doc`` extensions the components read and write (idempotent)."""
    for name in ("cp_context", "cp_quantities", "cp_cues", "cp_mentions", "cp_entities", "cp_found",
                 "cp_constraints", "cp_exceptions", "cp_any_children", "cp_exclusion", "cp_modifiers", "cp_clauses"):
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)
