"""Clinical entity mentions of a brat corpus, in our seven types, whichever scheme annotated it.

Two schemes are read, told apart by the corpus's ``annotation.conf`` (:func:`corpus_scheme`):

- **LCT** (Leaf Clinical Trials): an entity is the trigger of an event (``Condition``, ``Drug``, ``Procedure``,
  ``Observation``, ``Age``, ...; its ``*-Name`` span is usually the same words), or a text-bound
  ``Life-Stage-And-Gender``.
- **Chia** (Kury et al. 2020): text-bound concepts (``Condition``, ``Drug``, ``Procedure``, ``Measurement``,
  ``Observation``, ``Device``, ``Person``); a discontinuous one spans from its first to its last piece.

:data:`LCT_TYPES` and :data:`CHIA_TYPES` map them to :data:`ENTITY_TYPES`:

=============  ==========================================================  =====================================
ours           LCT                                                         Chia
=============  ==========================================================  =====================================
condition      Condition, Allergy                                          Condition
drug           Drug, Immunization (drug or drug class, vaccines)           Drug
procedure      Procedure (procedures and therapies)                        Procedure
measurement    Observation typed lab, vital or measurement                 Measurement
observation    Observation typed otherwise or untyped (scores, habits)     Observation
device         (none: LCT has no device type)                              Device
person         Age, Life-Stage-And-Gender                                  Person
=============  ==========================================================  =====================================

Pregnancy stays a condition: both corpora annotate "pregnant" so. Types outside the table (LCT's
``Encounter``, ``Study``, modifiers; Chia's ``Visit``, values, scopes, error types) are not entities of ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Literal, Optional

from .brat import Annotation, TextRange, decode_brat, read_annotation
from .split import Part, in_part
from ..errors import InputError
from ..grammar.loader import load_grammars
from ..pipeline.numbers import roman_letters

EntityType = Literal["condition", "drug", "procedure", "measurement", "observation", "device", "person"]
ENTITY_TYPES: tuple[EntityType, ...] = ("condition", "drug", "procedure", "measurement", "observation", "device",
                                        "person")
Scheme = Literal["lct", "chia"]

#: LCT event (or entity) type -> ours; ``Observation`` is split by its ``Observation-Type-Value``.
LCT_TYPES: dict[str, EntityType] = {
    "Condition": "condition", "Allergy": "condition", "Drug": "drug", "Immunization": "drug",
    "Procedure": "procedure", "Observation": "observation", "Age": "person", "Life-Stage-And-Gender": "person",
}
#: LCT ``Observation-Type-Value`` values that make an observation a measurement.
LCT_MEASUREMENTS = frozenset({"lab", "vital", "measurement"})
#: Chia concept type -> ours.
CHIA_TYPES: dict[str, EntityType] = {
    "Condition": "condition", "Drug": "drug", "Procedure": "procedure", "Measurement": "measurement",
    "Observation": "observation", "Device": "device", "Person": "person",
}

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


@lru_cache(maxsize=1)
def _numbering() -> re.Pattern[str]:
    """A criterion's own numbering, which the parser strips before an entity is looked for ("  1. ", "- ", "b) ",
    "iv."): the roman numerals are those of the packaged grammars/numbers.jsonl, in either case."""
    letters = roman_letters(load_grammars())
    roman = "|".join(letters + [n.lower() for n in letters])
    return re.compile(rf"^\s*(?:[-•*·▪]|\(?(?:\d{{1,3}}|[a-zA-Z]|{roman})[.)])?\s*")


@dataclass(frozen=True)
class EntitySpan(TextRange):
    """One entity mention: our type, character offsets into the document, and the pieces it is made of."""

    type: EntityType
    fragments: tuple[tuple[int, int], ...] = ()

    def pieces(self) -> tuple[tuple[int, int], ...]:
        """The character ranges the mention covers (one for a continuous span)."""
        return self.fragments or ((self.start, self.end),)


@dataclass
class Line:
    """One line of a document (a criterion, a heading), with the gold entities inside it."""

    start: int  # offset of ``text`` in the document (after the numbering)
    text: str
    entities: list[EntitySpan]


@dataclass
class EntityDocument:
    """A document of a corpus: its name, text, gold entities and lines."""

    name: str
    text: str
    entities: list[EntitySpan]
    lines: list[Line]


def corpus_scheme(corpus: Path) -> Scheme:
    """``chia`` when the ``annotation.conf`` at the corpus root declares Chia's ``Measurement`` concept, else ``lct``.

    Without a conf, the first annotated document decides: Chia's have concepts and no events.
    """
    conf = Path(corpus) / "annotation.conf"
    if conf.is_file():
        chia = re.search(r"^\s*Measurement\s*$", conf.read_text(encoding="utf-8"), re.MULTILINE)
        return "chia" if chia else "lct"
    first = next((a for a in sorted(Path(corpus).rglob("*.ann")) if a.stat().st_size), None)
    lines = first.read_bytes().decode("utf-8", errors="replace").split("\n") if first else []
    events = any(line.startswith("E") for line in lines)
    concepts = any(line.startswith("T") and line.split("\t")[1:2] and line.split("\t")[1].split(" ")[0] in CHIA_TYPES
                   for line in lines)
    return "chia" if concepts and not events else "lct"


def lct_entities(annotation: Annotation) -> list[EntitySpan]:
    """The entities of an LCT annotation: event triggers of a mapped type, and mapped text-bound entities."""
    found = set()
    triggers = set()
    for event in annotation.events.values():
        kind = LCT_TYPES.get(event.type)
        trigger = annotation.entities.get(event.trigger)
        if kind is None or trigger is None:
            continue
        triggers.add(trigger.id)
        if event.type == "Observation":
            observed = annotation.attributes.get(event.id, {}).get("Observation-Type-Value")
            kind = "measurement" if observed in LCT_MEASUREMENTS else "observation"
        found.add(EntitySpan(trigger.start, trigger.end, kind))
    for entity in annotation.entities.values():  # Life-Stage-And-Gender is no event
        if entity.id not in triggers and entity.type == "Life-Stage-And-Gender":
            found.add(EntitySpan(entity.start, entity.end, "person"))
    return sorted(found, key=_order)


def chia_entities(annotation: Annotation) -> list[EntitySpan]:
    """The concepts of a Chia annotation of a mapped type; pieces of one mention that repeat are one mention."""
    found = {EntitySpan(e.start, e.end, CHIA_TYPES[e.type], e.fragments if len(e.fragments) > 1 else ())
             for e in annotation.entities.values() if e.type in CHIA_TYPES}
    return sorted(found, key=_order)


def _order(entity: EntitySpan) -> tuple[int, int, str]:
    return entity.start, entity.end, entity.type


def split_lines(text: str, entities: list[EntitySpan]) -> list[Line]:
    """The non-blank lines of ``text`` without their numbering, each with the entities wholly inside it.

    Entities across a line break (a few annotation slips) belong to no line.
    """
    lines = []
    for found in _LINE.finditer(text):
        raw = found.group().rstrip("\r\n")
        numbering = _numbering().match(raw)
        start = found.start() + numbering.end()
        own = raw[numbering.end():].rstrip()
        if not own:
            continue
        end = start + len(own)
        inside = [e for e in entities if start <= e.start and e.end <= end]
        lines.append(Line(start, own, inside))
    return lines


def read_document(txt: Path, scheme: Scheme) -> Optional[EntityDocument]:
    """One document with its gold entities; None for an empty text (Chia has a few).

    Raises:
        InputError: the ``.ann`` beside ``txt`` is malformed, or the text is not UTF-8.
    """
    text = decode_brat(txt)
    if not text.strip():
        return None
    annotation = read_annotation(txt.with_suffix(".ann"), text)
    entities = chia_entities(annotation) if scheme == "chia" else lct_entities(annotation)
    return EntityDocument(str(txt), text, entities, split_lines(text, entities))


def read_corpus(corpus: Path, part: Part = "all") -> Iterator[EntityDocument]:
    """Every annotated document of one part of ``corpus`` (``.txt`` with a ``.ann`` beside it), by path.

    Raises:
        InputError: the corpus has no annotated documents, or one is malformed.
    """
    corpus = Path(corpus)
    texts = sorted(t for t in corpus.rglob("*.txt") if t.with_suffix(".ann").is_file())
    if not texts:
        raise InputError(str(corpus), "no .txt files with .ann annotations beside them")
    scheme = corpus_scheme(corpus)
    for txt in texts:
        if in_part(str(txt), part):
            document = read_document(txt, scheme)
            if document is not None:
                yield document
