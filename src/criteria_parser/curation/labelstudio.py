"""Label Studio interchange: our extractions out as pre-annotated tasks, curated annotations back in as gold.

A task holds a listing's whole text (``data.text``) and its corpus name
(``data.source``). Each constraint is a ``labels`` region over its text span,
labelled with its kind, carrying the whole constraint as JSON in the region's
``meta.text`` so that nothing is lost on the way back (assertions and the
condition clause included; the criteria's clauses and logic tree come back from
the parser and keep naming the same ids); each entity is a region
of the ``entity`` labels, labelled with its type (its JSON in its meta too), and a ``limits`` relation goes
from a constraint's region to the region of the entity it limits. A region a
curator draws in Label Studio has no such JSON: the parser reads the region's
text to fill it, as the workbench does for a selection. Label Studio counts
offsets in UTF-16 code units, the model in code points; both directions convert.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable
from xml.sax.saxutils import quoteattr

from ..errors import CriteriaParserError
from ..model import ConstraintKind, Criterion, EntityType, Listing
from ..parser import Parser
from .corpus import Corpus, ListingFiles
from .edits import EditsInvalid, append_row, build_entity, sort_rows
from .propose import propose, propose_entity

FROM_NAME = "kind"
ENTITY_NAME = "entity"
TO_NAME = "text"
RELATION = "limits"
#: Label colours, the workbench's highlight colours.
COLOURS = {"threshold": "#fde68a", "relative_limit": "#bfdbfe", "range": "#bbf7d0", "dose": "#fbcfe8",
           "time_window": "#ddd6fe", "category": "#e5e7eb"}
ENTITY_COLOUR = "#99f6e4"


def labeling_config() -> str:
    """The Label Studio labeling configuration the tasks are made for."""
    labels = "\n".join(f"    <Label value={quoteattr(k.value)} background={quoteattr(COLOURS[k.value])}/>"
                       for k in ConstraintKind)
    types = "\n".join(f"    <Label value={quoteattr(t.value)} background={quoteattr(ENTITY_COLOUR)}/>"
                      for t in EntityType)
    return (f'<View>\n  <Labels name="{FROM_NAME}" toName="{TO_NAME}">\n{labels}\n  </Labels>\n'
            f'  <Labels name="{ENTITY_NAME}" toName="{TO_NAME}">\n{types}\n  </Labels>\n'
            f'  <Relations>\n    <Relation value="{RELATION}"/>\n  </Relations>\n'
            f'  <Text name="{TO_NAME}" value="$text"/>\n</View>\n')


def _to_utf16(text: str, offset: int) -> int:
    return len(text[:offset].encode("utf-16-le")) // 2


def _from_utf16(text: str, offset: int) -> int:
    units = 0
    for index, char in enumerate(text):
        if units >= offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(text)


def task(listing: Listing, name: str, text: str) -> dict[str, Any]:
    """One Label Studio task with the listing's constraints and entities as pre-annotations."""
    result: list[dict[str, Any]] = []
    for index, (_, _, constraint) in enumerate(listing.constraints()):
        result.append({
            "id": f"c{index}", "from_name": FROM_NAME, "to_name": TO_NAME, "type": "labels",
            "value": {"start": _to_utf16(text, constraint.text_start), "end": _to_utf16(text, constraint.text_end),
                      "text": constraint.text, "labels": [constraint.kind]},
            "meta": {"text": [constraint.model_dump_json()]},
        })
        if constraint.entity:
            result.append({"type": "relation", "from_id": f"c{index}", "to_id": constraint.entity,
                           "direction": "right", "labels": [RELATION]})
    for _, criterion in listing.walk():
        for entity in criterion.entities:
            result.append({
                "id": entity.id, "from_name": ENTITY_NAME, "to_name": TO_NAME, "type": "labels",
                "value": {"start": _to_utf16(text, entity.start), "end": _to_utf16(text, entity.end),
                          "text": entity.text, "labels": [entity.type]},
                "meta": {"text": [entity.model_dump_json()]},
            })
    return {"data": {"text": text, "source": name, "nct_id": listing.trial.nct_id},
            "predictions": [{"model_version": listing.parser_version, "result": result}]}


def export_tasks(corpus: Corpus, parser: Parser) -> list[dict[str, Any]]:
    """Tasks for every listing of the corpus (listings the parser refuses raise)."""
    tasks = []
    for name in corpus.names():
        files = corpus.files(name)
        tasks.append(task(parser.parse_file(files.text), name, corpus.text(files)))
    return tasks


@dataclass
class Imported:
    """A gold listing read from one annotated task."""

    files: ListingFiles
    parsed: Listing
    gold: Listing


def deepest_criterion(listing: Listing, start: int, end: int) -> Criterion | None:
    """The innermost criterion whose text holds ``start``..``end``, if any."""
    inside = [c for _, c in listing.walk() if c.start <= start and end <= c.end]
    return min(inside, key=lambda c: c.end - c.start, default=None)


def import_tasks(tasks: Iterable[Any], corpus: Corpus, parser: Parser, source: str) -> list[Imported]:
    """Gold listings from the latest annotation of every annotated task of a Label Studio JSON export.

    Raises:
        CriteriaParserError: ``source: task N: what is wrong`` for the first task or region that cannot be
            read; nothing is returned (so nothing is written) then.
    """
    imported = []
    for number, item in enumerate(tasks, 1):
        where = f"{source}: task {number}"
        if not isinstance(item, dict) or not isinstance(item.get("data"), dict):
            raise CriteriaParserError(f"{where}: not a Label Studio task (no 'data')")
        annotations = [a for a in _dicts(item.get("annotations"), "annotations", where) if not a.get("was_cancelled")]
        if not annotations:
            continue
        files = corpus.files(str(item["data"].get("source", "")))
        text = corpus.text(files)
        if item["data"].get("text") not in (None, text):
            raise CriteriaParserError(f"{where}: the task's text is not the text of {files.name} any more")
        parsed = parser.parse_file(files.text)
        parsed.source = files.name
        gold = parsed.model_copy(deep=True)
        for _, criterion in gold.walk():
            criterion.constraints = []
            criterion.entities = []
        result = _dicts(annotations[-1].get("result"), "result", where)
        regions = [r for r in result if r.get("type") == "labels"]
        limits = {str(r.get("from_id")): str(r.get("to_id")) for r in result if r.get("type") == "relation"}
        entity_ids = {}  # region id -> the id of the entity it became
        for region in sorted(regions, key=lambda r: r.get("from_name") != ENTITY_NAME):  # entities first
            region_id = str(region.get("id", "?"))
            try:
                criterion, fields = (_entity if region.get("from_name") == ENTITY_NAME else _constraint)(
                    region, text, gold, parser)
            except (CriteriaParserError, TypeError, ValueError, AttributeError, LookupError, OverflowError) as exc:
                # a field of the wrong shape ({"value": [..]}, "start": 1e400) is the region's mistake
                problem = str(exc) if isinstance(exc, CriteriaParserError) else f"{type(exc).__name__}: {exc}"
                raise CriteriaParserError(f"{where}: region {region_id}: {problem}"[:300].replace("\n", " ")) from None
            if criterion is None:
                raise CriteriaParserError(f"{where}: region {region_id} does not lie inside one criterion")
            if region.get("from_name") == ENTITY_NAME:
                entity_ids[region_id] = _add_entity(criterion, fields, text, f"{where}: region {region_id}")
                continue
            fields["entity"] = entity_ids.get(limits.get(region_id, ""), "")
            kept = str(fields.get("id") or "")  # the id the export wrote, which the criterion's clauses name
            taken = {c.id for c in criterion.constraints}
            fields["id"] = kept if kept.startswith(f"{criterion.id}.") and kept not in taken else criterion.next_id("c")
            append_row(criterion, fields, text, f"{where}: region {region_id}")
        for _, criterion in gold.walk():
            criterion.prune_links()  # the clause structure names no region the curator deleted
        sort_rows(gold)
        imported.append(Imported(files, parsed, gold))
    return imported


def _dicts(value: Any, what: str, where: str) -> list[dict]:
    """``value`` as a list of objects (none when missing); refused when it is anything else."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise CriteriaParserError(f"{where}: '{what}' is not a list of objects")
    return value


def _add_entity(criterion: Criterion, fields: dict[str, Any], text: str, where: str) -> str:
    """Validate an entity region's values and add the entity to ``criterion``; returns its id."""
    fields["id"] = fields.get("id") if str(fields.get("id") or "").startswith(f"{criterion.id}.") else ""
    if any(e.id == fields["id"] for e in criterion.entities):
        fields["id"] = ""
    try:
        entity = build_entity({**fields, "id": fields["id"] or criterion.next_id("e")}, text, criterion)
    except EditsInvalid as exc:
        raise CriteriaParserError(f"{where}: " + "; ".join(f"{k}: {v}" for k, v in exc.errors[""].items())) from None
    criterion.entities.append(entity)
    return entity.id


def _entity(region: dict[str, Any], text: str, gold: Listing, parser: Parser) -> tuple[Criterion | None, dict]:
    """The criterion an entity region belongs to and the entity row values it stands for."""
    start, end, fields = _region(region, text, "entity", lambda: propose_entity(parser, text, *_span(region, text)))
    label = fields.pop("labels")
    if label:
        fields["type"] = label
    fields.update(start=str(start), end=str(end))
    return deepest_criterion(gold, start, end), {k: "" if v is None else v for k, v in fields.items()}


def _span(region: dict[str, Any], text: str) -> tuple[int, int]:
    """A region's span in code points."""
    value = region.get("value") or {}
    return _from_utf16(text, int(value.get("start", 0))), _from_utf16(text, int(value.get("end", 0)))


def _region(region: dict[str, Any], text: str, what: str, proposed) -> tuple[int, int, dict]:
    """A region's span and the values it carries: the JSON the export wrote in its meta, else ``proposed()``
    (a region drawn in Label Studio); its first label under ``labels``.

    Raises:
        CriteriaParserError: the meta is not such JSON.
    """
    start, end = _span(region, text)
    meta = (region.get("meta") or {}).get("text") or []
    if meta:
        try:
            fields = {k: v for k, v in json.loads(meta[0]).items() if k != "text"}
        except (ValueError, AttributeError):
            raise CriteriaParserError(f"its meta is not the {what} JSON the export wrote") from None
    else:
        fields = proposed()
    labels = (region.get("value") or {}).get("labels") or []
    fields["labels"] = labels[0] if labels else None
    return start, end, fields


def _constraint(region: dict[str, Any], text: str, gold: Listing, parser: Parser) -> tuple[Criterion | None, dict]:
    """The criterion a region belongs to and the row values it stands for."""
    start, end, fields = _region(region, text, "constraint", lambda: propose(parser, text, *_span(region, text)))
    label = fields.pop("labels")
    if label:
        fields["kind"] = label
    if not (start <= int(fields.get("start") or -1) and int(fields.get("end") or -1) <= end):
        fields["start"], fields["end"] = str(start), str(end)  # the region was moved off its value
    fields.update(text_start=str(start), text_end=str(end))
    return deepest_criterion(gold, start, end), fields
