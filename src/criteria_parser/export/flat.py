"""Flatten a listing to one row per constraint, for spreadsheets, pandas and SQL.

:data:`FLAT_COLUMNS` is the stable column order of ``--format flat`` (JSON
Lines) and ``--format csv``; flags are a list in JSON and a ``;``-joined
``kind:read->understood`` string in CSV; ``assertions`` is the ``;``-joined
kinds of a constraint's or entity's assertions ("negated;historical", null
for none) and ``condition`` the id of the condition clause it depends on.
:data:`ENTITY_COLUMNS` are the
columns of an entity row (the store's ``entities`` table, Parquet's nested
``entities``).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterable, Iterator, Optional, Union

from ..model import AssertionKind, Constraint, Entity, Listing

FLAT_COLUMNS = (
    "source", "nct_id", "section", "criterion", "constraint_id", "kind", "subject", "subject_text",
    "subject_start", "subject_end", "subject_concept", "subject_code", "open_subject", "entity", "entity_type",
    "comparator", "value", "value_high", "category", "unit", "unit_text", "relative_to", "direction", "anchor",
    "qualifier", "role", "group", "start", "end", "text", "flags", "rule", "assertions", "condition",
)
#: The columns of one entity row (the ``entities`` table of the store, the ``entities`` of a Parquet row).
ENTITY_COLUMNS = ("section", "criterion", "entity_id", "type", "text", "start", "end", "concept", "name", "code",
                  "rule", "assertions", "condition")


def flat_rows(listing: Listing) -> Iterator[dict[str, Any]]:
    """One dict per constraint, keys in :data:`FLAT_COLUMNS` order (``entity_type``: the type of the entity the
    constraint limits)."""
    for section, criterion, constraint in listing.constraints():
        entity = next((e for e in criterion.entities if e.id == constraint.entity), None)
        yield {
            "source": listing.source,
            "nct_id": listing.trial.nct_id,
            "section": section.kind,
            "criterion": criterion.label,
            "constraint_id": constraint.id,
            "kind": constraint.kind,
            "subject": constraint.subject,
            "subject_text": constraint.subject_text,
            "subject_start": constraint.subject_start,
            "subject_end": constraint.subject_end,
            "subject_concept": constraint.subject_concept,
            "subject_code": constraint.subject_code,
            "open_subject": constraint.open_subject,
            "entity": constraint.entity,
            "entity_type": entity.type if entity else None,
            "comparator": constraint.comparator,
            "value": constraint.value,
            "value_high": constraint.value_high,
            "category": constraint.category,
            "unit": constraint.unit,
            "unit_text": constraint.unit_text,
            "relative_to": constraint.relative_to,
            "direction": constraint.direction,
            "anchor": constraint.anchor,
            "qualifier": constraint.qualifier,
            "role": constraint.role,
            "group": constraint.group,
            "start": constraint.start,
            "end": constraint.end,
            "text": constraint.text,
            "flags": [flag.model_dump() for flag in constraint.flags],
            "rule": constraint.rule,
            "assertions": assertion_kinds(constraint),
            "condition": constraint.condition,
        }


def entity_rows(listing: Listing) -> Iterator[dict[str, Any]]:
    """One dict per entity, keys in :data:`ENTITY_COLUMNS` order."""
    for section, criterion in listing.walk():
        for entity in criterion.entities:
            yield {"section": section.kind, "criterion": criterion.label, "entity_id": entity.id, "type": entity.type,
                   "text": entity.text, "start": entity.start, "end": entity.end, "concept": entity.concept,
                   "name": entity.name, "code": entity.code, "rule": entity.rule,
                   "assertions": assertion_kinds(entity), "condition": entity.condition}


def assertion_kinds(item: Union[Constraint, Entity]) -> Optional[str]:
    """The kinds of an item's assertions, ``;``-joined in a fixed order (none: null)."""
    kinds = {a.kind for a in item.assertions}
    return ";".join(k.value for k in AssertionKind if k.value in kinds) or None


def to_jsonl(listings: Iterable[Listing]) -> Iterator[str]:
    """Lines of ``--format flat``."""
    for listing in listings:
        for row in flat_rows(listing):
            yield json.dumps(row, ensure_ascii=False)


def to_csv(listings: Iterable[Listing]) -> Iterator[str]:
    """Chunks of ``--format csv``, header first."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FLAT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for listing in listings:
        for row in flat_rows(listing):
            row["flags"] = ";".join(f"{f['kind']}:{f['read']}->{f['understood']}" for f in row["flags"])
            writer.writerow(row)
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    value = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return value
