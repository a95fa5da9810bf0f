"""Read and write brat standoff (``.ann``) files in the Leaf Clinical Trials (LCT) scheme.

LCT states a comparison as an ``Eq-Comparison`` event whose arguments are
text-bound entities: ``Operator`` (an ``Eq-Operator`` carrying an
``Eq-Operator-Value`` attribute: EQ, LT, LTEQ, GT, GTEQ, BETWEEN, PLUS-MINUS),
``Value``/``Value2`` (``Eq-Value``), ``Unit``/``Per`` (``Eq-Unit``; ``Per`` is a
unit's denominator: "mg/dL" is Unit "mg", Per "dL") and ``Temporal-Unit``
(``Eq-Temporal-Unit`` carrying an ``Eq-Temporal-Unit-Value`` attribute).

:func:`decode_brat` is the one decoder of a brat ``.txt`` or ``.ann`` file (UTF-8, line breaks as they are:
brat offsets count every character), :func:`read_annotation` reads a ``.ann`` file with it;
:func:`read_ann` parses a file's text into an :class:`Annotation`;
:func:`comparisons` pulls the comparisons out of it; :func:`listing_ann`
writes a parsed listing's constraints as such comparisons, so that
``comparisons(read_ann(listing_ann(...)))`` gives back what was written, and
its entities as LCT events (:data:`ENTITY_EVENTS`: a trigger and a ``*-Name``
of the same words) that own the comparisons limiting them: ``Temporality`` for
a time window, ``Dose`` for a dose, else ``Numeric-Filter``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Optional

from ..errors import InputError
from ..grammar.loader import Grammars, load_grammars
from ..model import Comparator, Constraint, Criterion, Entity as ModelEntity, Listing, LogicNode

#: LCT operator attribute value -> our comparator.
OPERATORS = {
    "EQ": Comparator.EQ.value, "LT": Comparator.LT.value, "LTEQ": Comparator.LE.value, "GT": Comparator.GT.value,
    "GTEQ": Comparator.GE.value, "BETWEEN": Comparator.BETWEEN.value, "PLUS-MINUS": Comparator.PLUS_MINUS.value,
}
_LCT_OPERATOR = {v: k for k, v in OPERATORS.items()}
#: LCT temporal unit attribute value -> UCUM code.
TEMPORAL_UNITS = {"second": "s", "minute": "min", "hour": "h", "day": "d", "week": "wk", "month": "mo", "year": "a"}
_LCT_TEMPORAL = {v: k for k, v in TEMPORAL_UNITS.items()}

_ANNOTATION_ID = re.compile(r"^[TERAMN#*]\w*\t")
#: Our entity type -> the LCT event that names such a thing (a person attribute is ``Age`` for the age concept,
#: else a ``Life-Stage-And-Gender`` entity without event; LCT has no devices: ``Device`` is ours).
ENTITY_EVENTS = {"condition": "Condition", "drug": "Drug", "procedure": "Procedure", "measurement": "Observation",
                 "observation": "Observation", "device": "Device"}
#: Constraint kind -> the role of the comparison in the event of the entity it limits.
_ROLES = {"time_window": "Temporality", "dose": "Dose"}

_ENTITY = re.compile(r"^(?P<type>\S+) (?P<spans>\d+ \d+(?:;\d+ \d+)*)$")


@dataclass(frozen=True)
class TextRange:
    """Characters ``start`` to ``end`` of a document: the base of what the LCT readers and writers place in one
    (an entity mention, an edit of a garbled copy)."""

    start: int
    end: int


@dataclass
class Entity:
    """A text-bound annotation (``T`` line).

    A discontinuous one ("331 356;368 376", Chia's "major impairment of renal [or hepatic] function") has its
    first and last offsets as ``start``/``end`` and its pieces, in text order, in ``fragments``; ``text`` is the
    text between.
    """

    id: str
    type: str
    start: int
    end: int
    text: str
    fragments: tuple[tuple[int, int], ...] = ()


@dataclass
class Event:
    """An event (``E`` line): its type, trigger entity and (role, argument id) pairs."""

    id: str
    type: str
    trigger: str
    args: list[tuple[str, str]]


@dataclass(frozen=True)
class Relation:
    """A relation (``R`` line): its type and the ids of its two arguments (Chia's ``Has_value Arg1:T3 Arg2:T2``)."""

    id: str
    type: str
    arg1: str
    arg2: str


@dataclass
class Annotation:
    """The annotations of one ``.ann`` file."""

    entities: dict[str, Entity] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)  # target id -> {name: value}
    relations: list[Relation] = field(default_factory=list)


@dataclass
class Comparison:
    """One LCT comparison: the words as written and where they are."""

    start: int
    end: int
    operator: Optional[str]  # LCT code (GTEQ, ...) or None when not annotated
    values: list[Entity]  # Value then Value2, as annotated
    units: list[Entity]  # Unit and Per arguments, in text order
    temporal_unit: Optional[str]  # UCUM code of the first Temporal-Unit's attribute (a, mo, wk, d, h, min, s)
    temporal_entities: list[Entity] = field(default_factory=list)  # "days per week": days, week
    period: Optional[str] = None  # Eq-Temporal-Period-Value: past, recent, present, future, anytime
    event: str = ""  # the id of its Eq-Comparison event
    temporal_codes: list[Optional[str]] = field(default_factory=list)  # of each temporal entity, from its attribute


def stated_comparator(comparison: Comparison) -> str:
    """Our comparator for an LCT comparison: its operator; ``<=`` for a past period without one.

    The scheme writes "in the past 6 months" as a past ``Temporal-Period`` with no operator: a window reaching
    back from now, which the criteria model states as ``<= 6 mo`` before. Any other comparison without an
    operator states equality.
    """
    if comparison.operator is None and comparison.period in ("past", "recent") and comparison.temporal_unit:
        return Comparator.LE.value
    return OPERATORS.get(comparison.operator or "EQ", Comparator.EQ.value)


def decode_brat(path: Path) -> str:
    """The text of a brat ``.txt`` or ``.ann`` file: its bytes as UTF-8 (a byte order mark dropped), line breaks
    untranslated, as brat counts offsets (Chia mixes CRLF, LF and lone CR).

    Raises:
        InputError: the file cannot be read or is not UTF-8 (``path: what is wrong``).
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 (byte {exc.start}): brat offsets need the text as annotated") from None


def read_annotation(ann: Path, text: str) -> Annotation:
    """The annotations of the ``.ann`` file ``ann`` of the document ``text`` (:func:`decode_brat`, :func:`read_ann`).

    Raises:
        InputError: the file cannot be read, is not UTF-8, or a line is malformed (``path: line N: ...``).
    """
    return read_ann(str(ann), decode_brat(ann), text)


def read_ann(path: str, ann_text: str, text: str) -> Annotation:
    """Parse the standoff ``ann_text`` of the document ``text``.

    ``text`` is the document as its bytes decode, line breaks untranslated: brat offsets count every
    character, and Chia mixes CRLF, LF and lone CR. Notes (``#``), normalizations (``N``) and equivalences
    (``*``: Chia's OR/AND groups) are skipped: no reader needs them yet.

    Raises:
        InputError: a line is malformed or points outside the text (``path: line N: ...``).
    """
    annotation = Annotation()
    previous = ""
    for number, line in enumerate(ann_text.split("\n"), 1):
        line = line.rstrip("\r")  # a lone CR inside a copied text field (Chia) does not end the line
        if previous == "T" and not _ANNOTATION_ID.match(line):
            continue  # the text field of the entity before ran over a line break (Chia): offsets say it all
        previous = line[:1]
        if not line.strip() or line[0] in "*#N":
            continue
        parts = line.split("\t")
        try:
            if line[0] == "T":
                found = _ENTITY.match(parts[1])
                if not found:
                    raise ValueError(f"bad entity '{parts[1]}'")
                offsets = [int(n) for n in re.findall(r"\d+", found.group("spans"))]
                fragments = tuple(sorted(zip(offsets[::2], offsets[1::2])))  # Chia lists some out of order
                start, end = fragments[0][0], max(e for _, e in fragments)
                for piece_start, piece_end in fragments:
                    if not 0 <= piece_start <= piece_end <= len(text):
                        raise ValueError(f"span {piece_start}-{piece_end} outside the text ({len(text)} characters)")
                annotation.entities[parts[0]] = Entity(parts[0], found.group("type"), start, end, text[start:end],
                                                       fragments)
            elif line[0] == "E":
                head, *rest = parts[1].split()
                kind, trigger = head.split(":", 1)
                args = [tuple(a.split(":", 1)) for a in rest]
                annotation.events[parts[0]] = Event(parts[0], kind, trigger, args)  # type: ignore[arg-type]
            elif line[0] == "A":
                name, target, *value = parts[1].split()
                annotation.attributes.setdefault(target, {})[name] = value[0] if value else "true"
            elif line[0] == "R":
                kind, first, second = parts[1].split()[:3]
                annotation.relations.append(Relation(parts[0], kind, first.split(":", 1)[1], second.split(":", 1)[1]))
            else:
                raise ValueError(f"unknown annotation '{parts[0]}'")
        except (IndexError, ValueError) as exc:
            raise InputError(path, f"line {number}: {exc if isinstance(exc, ValueError) else 'missing field'}") from None
    return annotation


def comparisons(annotation: Annotation) -> list[Comparison]:
    """The ``Eq-Comparison`` events of ``annotation`` that hold a value, by position."""
    found = []
    for event in annotation.events.values():
        if event.type != "Eq-Comparison" or event.trigger not in annotation.entities:
            continue
        trigger = annotation.entities[event.trigger]
        args = [(role, annotation.entities.get(target)) for role, target in event.args]
        values: list[Entity] = []
        for role, entity in sorted(args, key=lambda a: a[0] != "Value"):  # Value, then Value2, Value3 as written
            if role.startswith("Value") and entity and entity.type == "Eq-Value" and entity not in values:
                values.append(entity)
        args = [(role.rstrip("0123456789"), entity) for role, entity in args]
        if not values:
            continue
        operators = [e for role, e in args if role == "Operator" and e]
        operator = annotation.attributes.get(operators[0].id, {}).get("Eq-Operator-Value") if operators else None
        units = sorted((e for role, e in args if role in ("Unit", "Per") and e and e.type == "Eq-Unit"),
                       key=lambda e: e.start)
        temporals = sorted((e for role, e in args if e and e.type == "Eq-Temporal-Unit"
                            and role in ("Temporal-Unit", "Per")), key=lambda e: e.start)
        temporal = temporals[0] if temporals else None
        temporal_value = annotation.attributes.get(temporal.id, {}).get("Eq-Temporal-Unit-Value") if temporal else None
        periods = [e for role, e in args if role == "Temporal-Period" and e]
        period = annotation.attributes.get(periods[0].id, {}).get("Eq-Temporal-Period-Value") if periods else None
        codes = [TEMPORAL_UNITS.get(annotation.attributes.get(e.id, {}).get("Eq-Temporal-Unit-Value") or "")
                 for e in temporals]
        found.append(Comparison(trigger.start, trigger.end, operator, values, units,
                                TEMPORAL_UNITS.get(temporal_value or ""), temporals, period, event.id, codes))
    found.sort(key=lambda c: (c.values[0].start, c.start))
    return found


class _Writer:
    """Numbers entities, events and attributes as brat expects (T1, E1, A1, ...)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: list[str] = []
        self.counts = {"T": 0, "E": 0, "A": 0, "R": 0}

    def _next(self, kind: str) -> str:
        self.counts[kind] += 1
        return f"{kind}{self.counts[kind]}"

    def entity(self, kind: str, start: int, end: int) -> str:
        ident = self._next("T")
        self.lines.append(f"{ident}\t{kind} {start} {end}\t{self.text[start:end]}")
        return ident

    def attribute(self, name: str, target: str, value: str) -> None:
        self.lines.append(f"{self._next('A')}\t{name} {target} {value}")

    def relation(self, kind: str, first: str, second: str) -> None:
        self.lines.append(f"{self._next('R')}\t{kind} Arg1:{first} Arg2:{second}")

    def event(self, kind: str, trigger: str, args: list[tuple[str, str]]) -> str:
        ident = self._next("E")
        arguments = " ".join(f"{role}:{target}" for role, target in args)
        self.lines.append(f"{ident}\t{kind}:{trigger} {arguments}".rstrip())
        return ident


#: Finds comparator cues in a text: ``(start, end, position)`` triples, position "prefix" or "postfix".
CueSpans = Callable[[str], list[tuple[int, int, str]]]


def comparator_spans(grammars: Grammars) -> CueSpans:
    """A :data:`CueSpans` finder with the comparators and time relations of ``grammars``."""
    from ..pipeline.comparators import CueFinder  # spaCy loads only when a command needs it

    finder = CueFinder(grammars)

    def find(text: str) -> list[tuple[int, int, str]]:
        return [(c.start, c.end, c.position) for c in finder.find(text)
                if c.kind == "comparator" or (c.kind == "time_relation" and c.value)]
    return find


def listing_ann(listing: Listing, text: str, cues: CueSpans) -> str:
    """The constraints of ``listing`` (parsed from ``text``) as LCT comparisons in brat standoff.

    ``cues`` (:func:`comparator_spans`) locates the comparator words, which become the ``Operator``.
    """
    writer = _Writer(text)
    events: dict[tuple, str] = {}  # a comparison's key -> its event
    for constraint in comparisons_of(listing):
        event = _write_constraint(writer, constraint, text, cues)
        if event is not None:
            events[_comparison_key(constraint)] = event
    for _, criterion in listing.walk():
        written: dict[str, str] = {}  # entity id -> its event
        for entity in criterion.entities:
            owned = [(_ROLES.get(c.kind, "Numeric-Filter"), events[_comparison_key(c)])
                     for c in criterion.constraints if c.entity == entity.id and _comparison_key(c) in events]
            event = _write_entity(writer, entity, list(dict.fromkeys(owned)))
            if event is not None:
                written[entity.id] = event
        _write_assertions(writer, criterion, written)
        for constraint in criterion.constraints:
            if _comparison_key(constraint) in events:
                written.setdefault(constraint.id, events[_comparison_key(constraint)])
        _write_alternatives(writer, criterion.tree, written)
    return "".join(line + "\n" for line in writer.lines)


#: Which of our assertions LCT writes, as the event type and role it writes them with.
_ASSERTION_EVENTS = {"negated": ("Negation", "Negates"), "hypothetical": ("Assertion", "Asserted")}


def _write_assertions(writer: _Writer, criterion: Criterion, written: dict[str, str]) -> None:
    """Negated and hypothetical entities as LCT ``Negation``/``Assertion`` events on their cue, one per cue."""
    by_cue: dict[tuple[str, int, int], list[str]] = {}
    for entity in criterion.entities:
        for mark in entity.assertions:
            if mark.kind in _ASSERTION_EVENTS and entity.id in written:
                by_cue.setdefault((mark.kind, mark.start, mark.end), []).append(written[entity.id])
    for (kind, start, end), targets in by_cue.items():
        event_type, role = _ASSERTION_EVENTS[kind]
        args = [(role if index == 0 else f"{role}{index + 1}", target) for index, target in enumerate(targets)]
        event = writer.event(event_type, writer.entity(event_type, start, end), args)
        if kind == "hypothetical":
            writer.attribute("Assertion-Type-Value", event, "hypothetical")


def _write_alternatives(writer: _Writer, node: Optional[LogicNode], written: dict[str, str]) -> None:
    """LCT ``Or`` relations between neighbouring members of every ``any`` node of a criterion's tree."""
    if node is None:
        return
    if node.logic == "any":
        firsts = [m if isinstance(m, str) else m.ids()[0] for m in node.members]
        for first, second in zip(firsts, firsts[1:]):
            if first in written and second in written:
                writer.relation("Or", written[first], written[second])
    for member in node.members:
        if not isinstance(member, str):
            _write_alternatives(writer, member, written)


def _write_entity(writer: _Writer, entity: ModelEntity, owned: list[tuple[str, str]]) -> Optional[str]:
    """One entity as its LCT event (trigger and name of the same words) owning the comparisons that limit it;
    returns the event (none for a life stage or gender, which LCT writes as a plain entity)."""
    if entity.type == "person":
        if entity.concept == "lex.age":
            return writer.event("Age", writer.entity("Age", entity.start, entity.end), owned)
        writer.entity("Life-Stage-And-Gender", entity.start, entity.end)
        return None
    kind = ENTITY_EVENTS[entity.type]
    trigger = writer.entity(kind, entity.start, entity.end)
    name = writer.entity(f"{kind}-Name", entity.start, entity.end)
    return writer.event(kind, trigger, [("Name", name), *owned])


def _comparison_key(constraint: Constraint) -> tuple:
    """What one comparison in the text is: constraints sharing it limit several subjects (:func:`comparisons_of`)."""
    return (constraint.start, constraint.end, constraint.comparator, constraint.unit, constraint.relative_to)


def comparisons_of(listing: Listing) -> list[Constraint]:
    """The constraints of ``listing`` that are distinct comparisons in the text.

    One value limiting several subjects ("ALT and AST ≤ 3 x ULN") is two constraints of ours but one comparison
    in the text (and in LCT): the first constraint of each value span and reading stands for it.
    """
    seen, found = set(), []
    for _, _, constraint in listing.constraints():
        key = _comparison_key(constraint)
        if key not in seen:
            seen.add(key)
            found.append(constraint)
    return found


def _write_constraint(writer: _Writer, constraint: Constraint, text: str, cues: CueSpans) -> Optional[str]:
    """The constraint as an ``Eq-Comparison`` event; returns its id (None when its value has no words)."""
    value_spans = _value_spans(constraint, text)
    if not value_spans:
        return None
    start, end = constraint.text_start, constraint.text_end
    trigger = writer.entity("Eq-Comparison", start, end)
    args: list[tuple[str, str]] = []
    operator_span = _operator_span(constraint, text, value_spans, cues)
    if operator_span is not None or constraint.comparator != Comparator.EQ.value:
        operator_span = operator_span or (value_spans[0][0], value_spans[-1][1])  # implied: "2 weeks [before ...]"
        operator = writer.entity("Eq-Operator", *operator_span)
        writer.attribute("Eq-Operator-Value", operator, _LCT_OPERATOR[constraint.comparator])
        args.append(("Operator", operator))
    for role, (value_start, value_end) in zip(("Value", "Value2"), value_spans):
        args.append((role, writer.entity("Eq-Value", value_start, value_end)))
    if constraint.relative_to:
        unit_span = _reference_span(text, value_spans[-1][1], constraint.text_end)
    else:
        unit_span = _unit_span(constraint, text, value_spans[-1][1])
    if unit_span is not None:
        if constraint.unit in _LCT_TEMPORAL:
            temporal = writer.entity("Eq-Temporal-Unit", *unit_span)
            writer.attribute("Eq-Temporal-Unit-Value", temporal, _LCT_TEMPORAL[constraint.unit])
            args.append(("Temporal-Unit", temporal))
        else:
            args.append(("Unit", writer.entity("Eq-Unit", *unit_span)))
    return writer.event("Eq-Comparison", trigger, args)


_VALUE_TOKEN = re.compile(r"[\w.,]+")
_REFERENCE = re.compile(r"\s*(?P<ref>\S.*?)\s*$")


@lru_cache(maxsize=1)
def _range_words() -> frozenset[str]:
    """The range joiners in words of the packaged cues.jsonl ("to", "and", "through"), never a value's token."""
    return frozenset(p.lower() for p in load_grammars().cue_phrases("range") if p.isalpha())


def _value_spans(constraint: Constraint, text: str) -> list[tuple[int, int]]:
    """Spans of the value (and, for a range, the second value) inside the constraint's value span."""
    tokens = [(m.start() + constraint.start, m.end() + constraint.start)
              for m in _VALUE_TOKEN.finditer(text[constraint.start:constraint.end])]
    tokens = [(s, e) for s, e in tokens if text[s:e].lower() not in _range_words()]
    if not tokens:
        return []
    if constraint.value_high is not None and len(tokens) >= 2:
        return [tokens[0], tokens[-1]]
    return [(tokens[0][0], tokens[-1][1])]


def _operator_span(constraint: Constraint, text: str, values: list[tuple[int, int]],
                   cues: CueSpans) -> Optional[tuple[int, int]]:
    """The comparator words: the last prefix cue before the value, else a postfix cue after it ("or more")."""
    start, end = constraint.text_start, constraint.text_end
    found = [(s + start, e + start, position) for s, e, position in cues(text[start:end])]
    before = [(s, e) for s, e, position in found if position != "postfix" and e <= values[0][0]]
    if before:
        return before[-1]
    after = [(s, e) for s, e, position in found if position == "postfix" and s >= values[-1][1]]
    return after[0] if after else None


def _reference_span(text: str, value_end: int, end: int) -> Optional[tuple[int, int]]:
    """The reference of a relative limit with its multiplier ("x ULN", "times the upper limit of normal")."""
    found = _REFERENCE.search(text, value_end, end)
    return (found.start("ref"), found.end("ref")) if found and found.group("ref") else None


def _unit_span(constraint: Constraint, text: str, value_end: int) -> Optional[tuple[int, int]]:
    if not constraint.unit_text:
        return None
    at = text.find(constraint.unit_text, value_end, constraint.text_end)
    if at < 0:  # a scale named before its value: "grade 3"
        at = text.find(constraint.unit_text, constraint.text_start, constraint.start)
    if at < 0:
        return None
    return at, at + len(constraint.unit_text)
