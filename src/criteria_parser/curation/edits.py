"""Turn a curator's rows back into a validated listing, and say what changed.

The page sends every constraint row it shows (kept, edited or added; deleted
rows are left out) with the criterion it belongs to, and the criteria's entity
rows the same way. Each row is validated by the pydantic model and by the
provenance rules (spans inside the listing and inside the criterion, the value
inside the constraint's text, the entity a constraint limits one of its
criterion's); ``text`` (and a constraint's ``subject_text``, when it has a
subject span) is always re-read from the listing at the row's span, never
typed. A row without an id gets the next free one of its criterion. Invalid
rows are refused with one reason per field.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping, Optional, TypeVar

from pydantic import ValidationError

from ..errors import CriteriaParserError, validation_reason
from ..model import Constraint, Criterion, Entity, Listing

#: Fields a row edits, in the order the page shows them (``text`` is derived from the span).
ROW_FIELDS = (
    "kind", "subject", "comparator", "value", "value_high", "unit", "unit_text", "relative_to", "direction",
    "anchor", "entity", "category", "qualifier", "subject_text", "subject_start", "subject_end", "subject_concept",
    "subject_code", "open_subject", "role", "group", "start", "end", "text_start", "text_end", "flags", "rule", "id",
    "assertions", "condition",
)
#: Fields an entity row edits (``text`` is derived from the span).
ENTITY_FIELDS = ("type", "start", "end", "concept", "name", "code", "rule", "id", "assertions", "condition")
#: Fields a row holds as JSON (lists of objects).
_JSON_FIELDS = ("flags", "assertions")
#: What a row is validated as.
_Row = TypeVar("_Row", Constraint, Entity)
_INTEGERS = ("group", "start", "end", "text_start", "text_end", "subject_start", "subject_end")
#: Where a model-level (not field-level) refusal is shown.
_MODEL_MESSAGES = {"between": "value_high", "below value": "value_high", "value or a category": "value",
                   "span end": "end"}


class EditsInvalid(CriteriaParserError):
    """Some rows were refused: ``errors[row id][field]`` is the reason."""

    def __init__(self, errors: dict[str, dict[str, str]]) -> None:
        super().__init__(f"{len(errors)} row(s) refused")
        self.errors = errors


def criterion_key(section_index: int, criterion: Criterion) -> str:
    """The key a row names its criterion by: ``"<section index>:<label>"`` (labels repeat across sections)."""
    return f"{section_index}:{criterion.label}"


def criteria_by_key(listing: Listing) -> dict[str, Criterion]:
    """Every criterion of ``listing`` by :func:`criterion_key`."""
    return {criterion_key(i, c): c for i, section in enumerate(listing.sections) for c in section.walk()}


def row_values(item: Constraint | Entity) -> dict[str, str]:
    """The fields of a constraint (or an entity) as the strings the page's inputs hold."""
    data = item.model_dump()
    values = {}
    for field in ROW_FIELDS if isinstance(item, Constraint) else ENTITY_FIELDS:
        value = data[field]
        if field in _JSON_FIELDS:
            values[field] = json.dumps(value, ensure_ascii=False) if value else ""
        elif isinstance(value, bool):
            values[field] = "true" if value else ""
        elif isinstance(value, float) and value.is_integer():
            values[field] = str(int(value))
        else:
            values[field] = "" if value is None else str(value)
    return values


def unit_spellings(units: Mapping[str, list[str]]) -> dict[str, str]:
    """Map every way of writing a known unit (forms, UCUM codes in any case) to its UCUM code.

    Args:
        units: UCUM code -> forms, as ``grammars/units.jsonl`` holds them.
    """
    spellings = {}
    for ucum, forms in units.items():
        for form in (*forms, ucum):
            spellings.setdefault(form.lower(), ucum)
    return spellings


def build_constraint(fields: dict[str, Any], text: str, criterion: Criterion,
                     spellings: Mapping[str, str] = {}) -> Constraint:
    """Validate one row against the model and the provenance rules.

    Args:
        fields: the row's values as the page sent them (strings, empty for none).
        text: the listing text the spans point into.
        criterion: the criterion the row belongs to.
        spellings: from :func:`unit_spellings`; a unit written as a known unit but not as its UCUM code
            (``µmol/L``, ``mg/dl``) is refused with the code to write instead.

    Raises:
        EditsInvalid: with the row's reasons under the key ``""``.
    """
    def check(data: dict[str, Any], errors: dict[str, str]) -> Optional[Constraint]:
        data["text"] = _span_text(text, data["text_start"], data["text_end"])
        if data["subject_start"] is not None:
            data["subject_text"] = _span_text(text, data["subject_start"], data["subject_end"]) or None
        constraint = _validated(Constraint, data, errors, _model_field)
        if constraint is not None:
            errors.update(_provenance(constraint, text, criterion))
            ucum = spellings.get((constraint.unit or "").lower())
            if constraint.unit and ucum and constraint.unit not in spellings.values():
                errors["unit"] = f"not a UCUM code: write '{ucum}' for {constraint.unit}"
        return constraint

    return _built_row(fields, ROW_FIELDS, check)


def _built_row(fields: dict[str, Any], names: tuple[str, ...],
               check: Callable[[dict[str, Any], dict[str, str]], Optional[_Row]]) -> _Row:
    """A row's values (:func:`_fields`) built and checked by ``check``, which adds its reasons to the errors.

    Raises:
        EditsInvalid: with the row's reasons under the key ``""``.
    """
    errors: dict[str, str] = {}
    data = _fields(fields, names, errors)
    if not errors:
        row = check(data, errors)
        if row is not None and not errors:
            return row
    raise EditsInvalid({"": errors})


def _fields(fields: dict[str, Any], names: tuple[str, ...], errors: dict[str, str]) -> dict[str, Any]:
    """A row's values for the model: stripped, empty as none (no flags or assertions, group 0, not open), flags and
    assertions parsed."""
    data: dict[str, Any] = {}
    for field in names:
        raw = fields.get(field)
        value = raw.strip() if isinstance(raw, str) else raw
        if value in ("", None):
            data[field] = [] if field in _JSON_FIELDS else (0 if field == "group" else False if field == "open_subject"
                                                            else None)
        elif field in _JSON_FIELDS and isinstance(value, str):
            try:
                data[field] = json.loads(value)
            except json.JSONDecodeError as exc:
                errors[field] = f"not valid JSON: {exc.msg}"
        else:
            data[field] = value
    unknown = set(fields) - set(names)
    if unknown:
        errors["row"] = f"unknown field(s): {', '.join(sorted(unknown))}"
    return data


def _validated(model: type[_Row], data: dict[str, Any], errors: dict[str, str],
               field_of: Callable[[str], str]) -> Optional[_Row]:
    """``data`` as ``model``, or None with the model's reasons in ``errors`` by field (``field_of``: the field a
    reason of the whole row names, from its message)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else field_of(error["msg"])
            errors.setdefault(field, validation_reason(error))
        return None


def _span_text(text: str, start: Any, end: Any) -> str:
    """The listing's text at a span as a row gives it (empty for a bad one: the model reports the offset)."""
    try:
        start, end = int(start), int(end)
        return text[start:end] if 0 <= start <= end else ""
    except (TypeError, ValueError, OverflowError):
        return ""


def build_entity(fields: dict[str, Any], text: str, criterion: Criterion) -> Entity:
    """Validate one entity row against the model and the provenance rules (its span inside its criterion).

    Raises:
        EditsInvalid: with the row's reasons under the key ``""``.
    """
    def check(data: dict[str, Any], errors: dict[str, str]) -> Optional[Entity]:
        data["text"] = _span_text(text, data["start"], data["end"])
        data["id"] = data["id"] or ""
        entity = _validated(Entity, data, errors, lambda message: "end")
        if entity is not None:
            if not (criterion.start <= entity.start and entity.end <= criterion.end):
                errors["start"] = (f"the entity must lie inside criterion {criterion.label} "
                                   f"({criterion.start}-{criterion.end})")
            elif not entity.text.strip():
                errors["start"] = "the entity's span holds no text"
        return entity

    return _built_row(fields, ENTITY_FIELDS, check)


def append_row(criterion: Criterion, fields: dict[str, Any], text: str, where: str) -> None:
    """Validate ``fields`` with :func:`build_constraint` and append the constraint to ``criterion``.

    Raises:
        CriteriaParserError: ``where: field: reason; ...`` when the row is refused.
    """
    try:
        criterion.constraints.append(build_constraint(fields, text, criterion))
    except EditsInvalid as exc:
        reasons = "; ".join(f"{field}: {reason}" for field, reason in exc.errors[""].items())
        raise CriteriaParserError(f"{where}: {reasons}") from None


def sort_rows(listing: Listing) -> None:
    """Put every criterion's constraints and entities in text order."""
    for _, criterion in listing.walk():
        criterion.constraints.sort(key=lambda c: (c.text_start, c.start))
        criterion.entities.sort(key=lambda e: (e.start, -e.end))


def _model_field(message: str) -> str:
    return next((field for words, field in _MODEL_MESSAGES.items() if words in message), "row")


def _provenance(constraint: Constraint, text: str, criterion: Criterion) -> dict[str, str]:
    """Reasons a valid constraint still cannot be gold: spans that do not point where they must."""
    errors = {}
    if constraint.text_end > len(text):
        errors["text_end"] = f"past the end of the listing ({len(text)} characters)"
    elif not (criterion.start <= constraint.text_start and constraint.text_end <= criterion.end):
        errors["text_start"] = (f"the constraint's text must lie inside criterion {criterion.label} "
                                f"({criterion.start}-{criterion.end})")
    elif not constraint.text.strip():
        errors["text_start"] = "the constraint's span holds no text"
    if not (constraint.text_start <= constraint.start and constraint.end <= constraint.text_end):
        side = "start" if constraint.start < constraint.text_start else "end"
        errors[side] = (f"the value span {constraint.start}-{constraint.end} must lie inside the constraint's "
                        f"text {constraint.text_start}-{constraint.text_end}")
    for flag in constraint.flags:
        if flag.end > len(text) or flag.end < flag.start:
            errors["flags"] = f"flag {flag.kind} has span {flag.start}-{flag.end} outside the listing"
    if constraint.subject_start is not None and not (
            criterion.start <= constraint.subject_start and constraint.subject_end <= criterion.end):
        errors["subject_start"] = (f"the subject must lie inside criterion {criterion.label} "
                                   f"({criterion.start}-{criterion.end})")
    return errors


def doubtful_rows(rows: list[tuple[str, str, Constraint]]) -> dict[str, str]:
    """Rows that are valid but probably not meant: a copy of an earlier row of the same criterion (the same
    value span read as the same limit, with the same subject or without one), or a row with no subject.

    Args:
        rows: ``(row id, criterion key, constraint)`` in page order.

    Returns:
        A warning per doubtful row, by row id.
    """
    warnings: dict[str, str] = {}
    seen: dict[tuple, list[tuple[str, Constraint]]] = {}
    for row_id, key, constraint in rows:
        reading = (key, constraint.start, constraint.end, constraint.kind, constraint.comparator, constraint.value,
                   constraint.value_high, constraint.category, constraint.unit, constraint.relative_to)
        twin = next((other for other, earlier in seen.get(reading, [])
                     if not constraint.subject or not earlier.subject or earlier.subject == constraint.subject), None)
        if twin is not None:
            warnings[row_id] = f"the same limit on the same words as row {twin}: a duplicate?"
        elif not constraint.subject:
            warnings[row_id] = "no subject: what does this limit bound?"
        seen.setdefault(reading, []).append((row_id, constraint))
    return warnings


def apply_rows(base: Listing, rows: list[dict[str, Any]], text: str, spellings: Mapping[str, str] = {},
               entity_rows: Optional[list[dict[str, Any]]] = None) -> tuple[Listing, list[int], dict[str, str]]:
    """A copy of ``base`` whose constraints are exactly ``rows`` (and entities exactly ``entity_rows``, when
    given; else the entities of ``base`` stay).

    Args:
        base: the listing the page was built from (criteria tree, trial, sections kept).
        rows: ``{"id", "criterion", "accepted", "fields"}`` per constraint row, in page order.
        text: the listing text.
        spellings: see :func:`build_constraint`.
        entity_rows: the same per entity row.

    Returns:
        The new listing, the indexes of the accepted rows (constraints in :meth:`Listing.constraints` order,
        then entities in :meth:`Listing.walk` order, numbered on after the constraints), and the
        :func:`doubtful_rows` warnings by row id.

    Raises:
        EditsInvalid: reasons for every refused row, by row id.
    """
    listing = base.model_copy(deep=True)
    criteria = criteria_by_key(listing)
    errors: dict[str, dict[str, str]] = {}
    entities = _place(entity_rows, criteria, errors, lambda fields, c: build_entity(fields, text, c))
    placed = _place(rows, criteria, errors, lambda fields, c: build_constraint(fields, text, c, spellings))
    if errors:
        raise EditsInvalid(errors)
    built = [(row_id, key, constraint) for key, found in placed.items() for constraint, _, row_id in found]
    errors = _fill(criteria, placed, entities)
    if errors:
        raise EditsInvalid(errors)
    for criterion in criteria.values():
        criterion.prune_links()  # the clause structure names no row the curator deleted
    accepted = _accepted(listing, placed, entities)
    try:
        Listing.model_validate(listing.model_dump())
    except ValidationError as exc:
        raise EditsInvalid({"listing": {"row": validation_reason(exc.errors()[0])}}) from None
    return listing, accepted, doubtful_rows(built)


def _fill(criteria: dict[str, Criterion], placed: dict[str, list[tuple[Any, bool, str]]],
          entities: Optional[dict[str, list[tuple[Any, bool, str]]]]) -> dict[str, dict[str, str]]:
    """Each criterion's entities (when rows give them) and constraints the placed rows, in text order and
    numbered; the reasons of the constraint rows that limit an entity their criterion lacks, by row id."""
    errors: dict[str, dict[str, str]] = {}
    if entities is not None:
        for key, criterion in criteria.items():
            entities[key].sort(key=lambda placing: (placing[0].start, -placing[0].end))
            criterion.entities = [entity for entity, _, _ in entities[key]]
            _number(criterion, criterion.entities, "e")
    for key, criterion in criteria.items():
        placed[key].sort(key=lambda placing: (placing[0].text_start, placing[0].start))
        criterion.constraints = [constraint for constraint, _, _ in placed[key]]
        _number(criterion, criterion.constraints, "c")
        known = {entity.id for entity in criterion.entities}
        for constraint, _, row_id in placed[key]:
            if constraint.entity is not None and constraint.entity not in known:
                errors[row_id] = {"entity": f"no entity {constraint.entity} in criterion {criterion.label}"}
    return errors


def _accepted(listing: Listing, placed: dict[str, list[tuple[Any, bool, str]]],
              entities: Optional[dict[str, list[tuple[Any, bool, str]]]]) -> list[int]:
    """The indexes of the accepted rows: constraints in :meth:`Listing.constraints` order, then entities in
    :meth:`Listing.walk` order (all of a criterion's entities when no entity rows were given)."""
    accepted = []
    index = 0
    for table in (placed, entities):
        for section_index, section in enumerate(listing.sections):
            for criterion in section.walk():
                if table is None:  # the entities kept as they were: accepted as before
                    accepted.extend(range(index, index + len(criterion.entities)))
                    index += len(criterion.entities)
                    continue
                for _, was_accepted, _ in table[criterion_key(section_index, criterion)]:
                    if was_accepted:
                        accepted.append(index)
                    index += 1
    return accepted


def _place(rows: Optional[list[dict[str, Any]]], criteria: dict[str, Criterion], errors: dict[str, dict[str, str]],
           build) -> Optional[dict[str, list[tuple[Any, bool, str]]]]:
    """Each row built by ``build`` and placed under its criterion's key, with whether it was accepted and the
    row's id."""
    if rows is None:
        return None
    placed: dict[str, list[tuple[Any, bool, str]]] = {key: [] for key in criteria}
    for number, row in enumerate(rows):
        row_id = str(row.get("id", number))
        criterion = criteria.get(str(row.get("criterion")))
        if criterion is None or not isinstance(row.get("fields"), dict):
            errors[row_id] = {"row": f"no criterion {row.get('criterion')!r} in this listing"}
            continue
        try:
            item = build(row["fields"], criterion)
        except EditsInvalid as exc:
            errors[row_id] = exc.errors[""]
            continue
        placed[str(row["criterion"])].append((item, bool(row.get("accepted")), row_id))
    return placed


def _number(criterion: Criterion, items: list, kind: str) -> None:
    """Ids for the items of a criterion that have none (or one another item had first)."""
    seen: set[str] = set()
    for item in items:
        if not item.id or item.id in seen or not item.id.startswith(f"{criterion.id}."):
            item.id = None
        else:
            seen.add(item.id)
    for item in items:
        if item.id is None:
            item.id = criterion.next_id(kind)


def changes(old: Listing, new: Listing) -> list[dict[str, Any]]:
    """What differs between two versions of a listing's constraints, per criterion, for the review log
    (the first save compares with the parser's proposal the curator started from).

    Constraints are matched by their criterion and spans (and their order among constraints with the same
    spans), entities by their criterion and span; a matched pair reports the fields that differ as
    ``{field: [old, new]}``, the rest are ``added`` or ``removed``.
    """
    def table(listing: Listing) -> dict[tuple[str, str, int, int, int], dict[str, Any]]:
        rows: dict[tuple[str, str, int, int, int], dict[str, Any]] = {}
        for section_index, section in enumerate(listing.sections):
            for criterion in section.walk():
                items = [("constraint", c.text_start, c.start, c) for c in criterion.constraints]
                items += [("entity", e.start, e.end, e) for e in criterion.entities]
                for kind, first, second, item in items:
                    key = (criterion_key(section_index, criterion), kind, first, second, 0)
                    while key in rows:
                        key = (*key[:4], key[4] + 1)
                    rows[key] = item.model_dump(mode="json")
        return rows

    before, after = table(old), table(new)
    found = []
    for key in sorted(set(before) | set(after)):
        where = {"criterion": key[0], "text": (after.get(key) or before[key])["text"]}
        if key not in before:
            found.append({**where, "added": after[key]})
        elif key not in after:
            found.append({**where, "removed": before[key]})
        elif before[key] != after[key]:
            fields = {f: [before[key][f], after[key][f]] for f in before[key] if before[key][f] != after[key][f]}
            found.append({**where, "changed": fields})
    return found
