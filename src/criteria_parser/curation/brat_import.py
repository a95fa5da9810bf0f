"""Read brat standoff (LCT scheme) back into gold files: the return leg of ``export --format brat``.

A brat directory holds ``<name>.txt`` and ``<name>.ann`` pairs (as ``export --format brat`` writes them, corrected in
brat). Each ``Eq-Comparison`` becomes one gold constraint of the criterion its words lie in: comparator from
the operator (:func:`~criteria_parser.lct.brat.stated_comparator`), values from the ``Value`` entities, unit from
the ``Unit``/``Per``/``Temporal-Unit`` arguments (reduced to UCUM as the scorer does). What the scheme cannot
hold (subject, anchor, qualifier, role, group, flags) comes from the parser's constraints on the same value
(all of them where one value serves several subjects, "ALT/AST <= 3 x ULN"), else from the parser's reading
of the comparison's words, so a round trip of ``export --format brat`` output loses nothing.
The entities are the annotation's entity events (:data:`~criteria_parser.lct.brat.ENTITY_EVENTS`, ``Age``) and
``Life-Stage-And-Gender`` entities, with the type and concept of the parser's entity of the same words (else the
event's type; an ``Observation`` is then an observation); a comparison an entity's event owns limits it.
Every constraint is validated like a workbench edit; one bad comparison refuses the whole import.
"""

from __future__ import annotations


from ..lct.brat import ENTITY_EVENTS, Annotation, comparisons, read_annotation
from ..errors import CriteriaParserError
from ..lct.scorer import LeafEvaluator
from ..lct.assertions import LCT_HYPOTHETICAL
from ..model import Assertion, Comparator, Entity, Listing
from ..parser import Parser
from .corpus import Corpus
from .edits import append_row, row_values, sort_rows
from .labelstudio import Imported, deepest_criterion
from .propose import propose


def import_brat(corpus: Corpus, parser: Parser) -> list[Imported]:
    """Gold listings from every ``.ann`` file beside a listing of ``corpus``.

    Raises:
        CriteriaParserError: ``file: comparison Tn: what is wrong`` for the first comparison that cannot be
            read or validated; nothing is returned (so nothing is written) then.
    """
    reader = LeafEvaluator(parser)
    imported = []
    anns = sorted(corpus.root.glob("*.ann"))
    if not anns:
        raise CriteriaParserError("no brat .ann files", corpus.root)
    for ann in anns:
        files = corpus.files(ann.with_suffix(".txt").name)
        text = corpus.text(files)
        annotation = read_annotation(ann, text)
        parsed = parser.parse_file(files.text, assume_inclusion=True)
        parsed.source = files.name
        gold = parsed.model_copy(deep=True)
        for _, criterion in gold.walk():
            criterion.constraints = []
            criterion.clauses, criterion.tree = [], None  # the annotation's words, not the parser's, are gold
            for exception in criterion.exceptions:
                exception.excepts, exception.parts, exception.substitutes = [], [], None
        owners = _entities(annotation, gold, parsed, text)
        timed = {e.id for e in parser.grammars.lexicon if e.unit in reader.units.time_codes}
        by_value: dict[tuple[int, int], list] = {}
        for _, _, constraint in parsed.constraints():
            by_value.setdefault((constraint.start, constraint.end), []).append(constraint)
        for comparison in comparisons(annotation):
            where = f"{ann}: comparison at {comparison.start}-{comparison.end}"
            criterion = deepest_criterion(gold, comparison.start, comparison.end)
            if criterion is None:
                raise CriteriaParserError(f"{where}: not inside one criterion")
            for scored in reader.gold_tuples(comparison, text):
                for fields in _rows(parser, text, comparison, scored, by_value, timed):
                    fields["entity"] = _owner(criterion, owners.get(comparison.start, []), fields, parsed)
                    taken = {c.id for c in criterion.constraints}
                    if not str(fields.get("id") or "").startswith(f"{criterion.id}.") or fields["id"] in taken:
                        fields["id"] = criterion.next_id("c")
                    append_row(criterion, fields, text, where)
        sort_rows(gold)
        imported.append(Imported(files, parsed, gold))
    return imported


#: LCT event types (and the entity without event) -> our entity type, when the parser's entity does not say.
_TYPES = {**{event: kind for kind, event in ENTITY_EVENTS.items() if kind != "measurement"}, "Age": "person",
          "Life-Stage-And-Gender": "person"}


def _entities(annotation: Annotation, gold: Listing, parsed: Listing, text: str) -> dict[int, str]:
    """Put the annotation's entities into ``gold``'s criteria; returns the ids of the entities owning each
    comparison (by the comparison's start)."""
    known = {(e.start, e.end): e for _, c in parsed.walk() for e in c.entities}
    for _, criterion in gold.walk():
        criterion.entities = []
    owners: dict[int, list[str]] = {}
    by_event: dict[str, Entity] = {}
    triggers = [(event, annotation.entities.get(event.trigger)) for event in annotation.events.values()
                if event.type in _TYPES]
    triggers += [(None, e) for e in annotation.entities.values() if e.type == "Life-Stage-And-Gender"]
    for event, trigger in sorted(((ev, t) for ev, t in triggers if t is not None), key=lambda p: p[1].start):
        criterion = deepest_criterion(gold, trigger.start, trigger.end)
        if criterion is None or not text[trigger.start:trigger.end].strip():
            continue
        same = known.get((trigger.start, trigger.end))
        entity = Entity(id=criterion.next_id("e"), type=same.type if same else _TYPES[trigger.type],
                        text=text[trigger.start:trigger.end], start=trigger.start, end=trigger.end,
                        concept=same.concept if same else None, name=same.name if same else None,
                        code=same.code if same else None, rule=same.rule if same else "brat")
        criterion.entities.append(entity)
        if event is not None:
            by_event[event.id] = entity
        for _, target in (event.args if event else []):
            owned = annotation.events.get(target)
            if owned is not None and owned.type == "Eq-Comparison" and owned.trigger in annotation.entities:
                owners.setdefault(annotation.entities[owned.trigger].start, []).append(entity.id)
    _assertions(annotation, by_event, text)
    return owners


#: LCT's assertion events and the role that names what they assert, as our assertion kinds.
_ASSERTION_EVENTS = {("Negation", "Negates"): "negated", ("Assertion", "Asserted"): "hypothetical"}


def _assertions(annotation: Annotation, by_event: dict[str, Entity], text: str) -> None:
    """The annotation's ``Negation`` (``Negates``) and hypothetical ``Assertion`` (``Asserted``) events as the
    assertions of the entities they name, with their trigger as the cue."""
    for event in annotation.events.values():
        cue = annotation.entities.get(event.trigger)
        mood = annotation.attributes.get(event.id, {}).get("Assertion-Type-Value")
        for role, target in event.args:
            kind = next((k for (t, r), k in _ASSERTION_EVENTS.items() if event.type == t and role.startswith(r)), None)
            entity = by_event.get(target)
            if kind is None or entity is None or cue is None or (kind == "hypothetical" and mood not in LCT_HYPOTHETICAL):
                continue
            entity.assertions.append(Assertion(kind=kind, cue=text[cue.start:cue.end], start=cue.start, end=cue.end,
                                               rule="brat"))


def _owner(criterion, owners: list[str], fields: dict[str, str], parsed: Listing) -> str:
    """Which of the entities owning a comparison a row limits: the one with the span of the entity the parser's
    constraint limits ("ALT/AST <= 3 x ULN": each its own), else the first."""
    linked = next((e for _, c in parsed.walk() for e in c.entities if e.id == fields.get("entity")), None)
    for owner in owners:
        entity = next(e for e in criterion.entities if e.id == owner)
        if linked is not None and (entity.start, entity.end) == (linked.start, linked.end):
            return owner
    return owners[0] if owners else ""


def _rows(parser: Parser, text: str, comparison, scored, by_value, timed: set[str]) -> list[dict[str, str]]:
    """Row values for one scored comparison: the annotation's facts over what the parser knows of the value."""
    spans = [e for e in comparison.values if e.text.strip(" .,;:()") and _same_value(e.text, scored.values)]
    value_start = min(e.start for e in spans) if spans else comparison.start
    value_end = max(e.end for e in spans) if spans else comparison.end
    known = by_value.get((value_start, value_end))
    if known:
        return [_fields(row_values(c), comparison, scored, value_start, value_end, c.text_start, c.text_end, timed)
                for c in known]
    return [_fields(propose(parser, text, comparison.start, comparison.end), comparison, scored,
                    value_start, value_end, comparison.start, comparison.end, timed)]


def _fields(fields: dict[str, str], comparison, scored, value_start: int, value_end: int,
            text_start: int, text_end: int, timed: set[str]) -> dict[str, str]:
    """The row with the annotation's comparator, values and unit; an amount of time is a window unless its
    subject is measured in time (``timed``: age, life expectancy)."""
    numbers = [v for v in scored.values if _is_number(v)]
    fields.update(comparator=scored.comparator, start=str(value_start), end=str(value_end),
                  text_start=str(min(text_start, comparison.start)), text_end=str(max(text_end, comparison.end)),
                  unit=_unit(scored.unit), relative_to="", value="", value_high="", category="",
                  condition="")  # the gold criterion has no clauses: the annotation has none
    if scored.unit in ("ULN", "LLN", "fold"):
        fields.update(kind="relative_limit", relative_to=scored.unit)
    if numbers:
        fields["value"] = numbers[0]
        if scored.comparator in (Comparator.BETWEEN.value, Comparator.PLUS_MINUS.value) and len(numbers) > 1:
            fields["value_high"] = numbers[-1]
    else:
        fields.update(kind="category", category=scored.values[0])
    if scored.comparator == Comparator.BETWEEN.value and fields.get("kind") not in ("relative_limit",):
        fields["kind"] = "range"
    elif scored.temporal and fields.get("kind") in ("threshold", "range") and fields.get("subject_concept") not in timed:
        fields["kind"] = "time_window"
    return fields


def _unit(code: str | None) -> str:
    return "" if code in (None, "ULN", "LLN", "fold") else code


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _same_value(written: str, values: tuple[str, ...]) -> bool:
    stripped = written.strip(" .,;:()").replace(",", "")
    try:
        return f"{float(stripped):g}" in values
    except ValueError:
        return stripped.upper() in values or bool(values)
