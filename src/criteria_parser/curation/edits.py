"""Turn a curator's rows back into a validated listing, and say what changed.

The page sends every constraint row it shows (kept, edited or added; deleted
rows are left out) with the criterion it belongs to. Each row is validated by
the pydantic model and by the provenance rules (spans inside the listing and
inside the criterion, the value inside the constraint's text); ``text`` is
always re-read from the listing at the row's span, never typed. Invalid rows
are refused with one reason per field.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from pydantic import ValidationError

from ..errors import CriteriaParserError
from ..model import Constraint, Criterion, Listing

#: Fields a row edits, in the order the page shows them (``text`` is derived from the span).
ROW_FIELDS = (
    "kind", "subject", "comparator", "value", "value_high", "unit", "unit_text", "relative_to", "direction",
    "anchor", "category", "qualifier", "subject_text", "role", "group", "start", "end", "text_start", "text_end",
    "flags", "rule",
)
_INTEGERS = ("group", "start", "end", "text_start", "text_end")
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


def row_values(constraint: Constraint) -> dict[str, str]:
    """The fields of ``constraint`` as the strings the page's inputs hold."""
    data = constraint.model_dump()
    values = {}
    for field in ROW_FIELDS:
        value = data[field]
        if field == "flags":
            values[field] = json.dumps(value, ensure_ascii=False) if value else ""
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
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    for field in ROW_FIELDS:
        raw = fields.get(field)
        value = raw.strip() if isinstance(raw, str) else raw
        if value in ("", None):
            data[field] = [] if field == "flags" else (0 if field == "group" else None)
        elif field == "flags" and isinstance(value, str):
            try:
                data[field] = json.loads(value)
            except json.JSONDecodeError as exc:
                errors[field] = f"not valid JSON: {exc.msg}"
        else:
            data[field] = value
    unknown = set(fields) - set(ROW_FIELDS)
    if unknown:
        errors["row"] = f"unknown field(s): {', '.join(sorted(unknown))}"
    if not errors:
        try:
            start, end = int(data["text_start"]), int(data["text_end"])
            data["text"] = text[start:end] if 0 <= start <= end else ""
        except (TypeError, ValueError, OverflowError):  # the model reports the bad offset
            data["text"] = ""
        try:
            constraint = Constraint.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else _model_field(error["msg"])
                errors.setdefault(field, error["msg"].removeprefix("Value error, "))
        else:
            errors.update(_provenance(constraint, text, criterion))
            ucum = spellings.get((constraint.unit or "").lower())
            if constraint.unit and ucum and constraint.unit not in spellings.values():
                errors["unit"] = f"not a UCUM code: write '{ucum}' for {constraint.unit}"
            if not errors:
                return constraint
    raise EditsInvalid({"": errors})


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
    """Put every criterion's constraints in text order."""
    for _, criterion in listing.walk():
        criterion.constraints.sort(key=lambda c: (c.text_start, c.start))


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


def apply_rows(base: Listing, rows: list[dict[str, Any]], text: str,
               spellings: Mapping[str, str] = {}) -> tuple[Listing, list[int], dict[str, str]]:
    """A copy of ``base`` whose constraints are exactly ``rows``.

    Args:
        base: the listing the page was built from (criteria tree, trial, sections kept).
        rows: ``{"id", "criterion", "accepted", "fields"}`` per row, in page order.
        text: the listing text.
        spellings: see :func:`build_constraint`.

    Returns:
        The new listing, the indexes (in :meth:`Listing.constraints` order) of the accepted rows, and the
        :func:`doubtful_rows` warnings by row id.

    Raises:
        EditsInvalid: reasons for every refused row, by row id.
    """
    listing = base.model_copy(deep=True)
    criteria = criteria_by_key(listing)
    placed: dict[str, list[tuple[Constraint, bool]]] = {key: [] for key in criteria}
    built: list[tuple[str, str, Constraint]] = []
    errors: dict[str, dict[str, str]] = {}
    for number, row in enumerate(rows):
        row_id = str(row.get("id", number))
        criterion = criteria.get(str(row.get("criterion")))
        if criterion is None or not isinstance(row.get("fields"), dict):
            errors[row_id] = {"row": f"no criterion {row.get('criterion')!r} in this listing"}
            continue
        try:
            constraint = build_constraint(row["fields"], text, criterion, spellings)
        except EditsInvalid as exc:
            errors[row_id] = exc.errors[""]
            continue
        placed[str(row["criterion"])].append((constraint, bool(row.get("accepted"))))
        built.append((row_id, str(row["criterion"]), constraint))
    if errors:
        raise EditsInvalid(errors)
    for key, criterion in criteria.items():
        ordered = sorted(placed[key], key=lambda pair: (pair[0].text_start, pair[0].start))
        criterion.constraints = [constraint for constraint, _ in ordered]
        placed[key] = ordered
    accepted = []
    index = 0
    for section_index, section in enumerate(listing.sections):
        for criterion in section.walk():
            for _, was_accepted in placed[criterion_key(section_index, criterion)]:
                if was_accepted:
                    accepted.append(index)
                index += 1
    return listing, accepted, doubtful_rows(built)


def changes(old: Listing, new: Listing) -> list[dict[str, Any]]:
    """What differs between two versions of a listing's constraints, per criterion, for the review log
    (the first save compares with the parser's proposal the curator started from).

    Constraints are matched by their criterion and spans (and their order among constraints with the same
    spans); a matched pair reports the fields that differ as ``{field: [old, new]}``, the rest are ``added`` or
    ``removed``.
    """
    def table(listing: Listing) -> dict[tuple[str, int, int, int], dict[str, Any]]:
        rows: dict[tuple[str, int, int, int], dict[str, Any]] = {}
        for section_index, section in enumerate(listing.sections):
            for criterion in section.walk():
                for constraint in criterion.constraints:
                    key = (criterion_key(section_index, criterion), constraint.text_start, constraint.start, 0)
                    while key in rows:
                        key = (*key[:3], key[3] + 1)
                    rows[key] = constraint.model_dump(mode="json")
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
