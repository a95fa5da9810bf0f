"""AACT-derived CSV (or pipe/tab-delimited flat files): an ``nct_id`` column and a criteria column.

Column names are matched without case and without a leading ``#``; a header
row repeated inside the file (concatenated exports) is skipped. Optional
columns: title, lead_sponsor (or sponsor), status, phase, conditions (``|``-separated), gender,
minimum_age, maximum_age, healthy_volunteers.
"""

from __future__ import annotations

import csv
import io
from typing import Iterator, Optional

from .record import Failure, Item, Record

_CRITERIA_COLUMNS = ("eligibility_criteria", "criteria")
_TITLE_COLUMNS = ("brief_title", "title", "official_title")
_SPONSOR_COLUMNS = ("lead_sponsor", "sponsor")
_STATUS_COLUMNS = ("overall_status", "status")
_HEALTHY = {"true": True, "t": True, "yes": True, "accepts healthy volunteers": True,
            "false": False, "f": False, "no": False}
csv.field_size_limit(16 * 1024 * 1024)


def is_csv(text: str) -> bool:
    """Whether the first line is a delimited header naming an ``nct_id`` or a criteria column."""
    header = text.lstrip("\ufeff").split("\n", 1)[0].lower()
    delimiter = _delimiter(header)
    names = {_name(c) for c in header.rstrip("\r").split(delimiter)} if delimiter in header else set()
    return bool(names & {"nct_id", *_CRITERIA_COLUMNS})


def _name(column: str) -> str:
    return column.strip().strip('"').strip().lstrip("#").strip().lower()


def _delimiter(header: str) -> str:
    return max(",|\t", key=header.count)


def read_csv(name: str, text: str) -> Iterator[Item]:
    """Yield a record (or a failure) for every data row."""
    header_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(header_line.lower()))
    try:
        header = next(reader)
    except csv.Error as exc:
        yield Failure(None, name, f"broken CSV header: {exc}")
        return
    columns = [_name(c) for c in header]
    criteria = _column(columns, _CRITERIA_COLUMNS)
    if "nct_id" not in columns:
        yield Failure(None, name, f"CSV has no nct_id column (its columns: {', '.join(columns)[:200]})")
        return
    if criteria is None:
        yield Failure(None, name, f"CSV has an nct_id column but no criteria column (one of {', '.join(_CRITERIA_COLUMNS)})")
        return
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader, None)
        except csv.Error as exc:  # a NUL byte, an unclosed quote, a field over the size limit: the rest is unreadable
            yield Failure(None, f"{name}:{line}", f"broken CSV from here on: {exc}")
            return
        if row is None:
            return
        source, line = f"{name}:{line}", reader.line_num + 1
        if row == header or not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            yield Failure(None, source, f"row has {len(row)} fields, the header {len(columns)}")
            continue
        yield _record(dict(zip(columns, row)), columns[criteria], source)


def _record(row: dict[str, str], criteria_column: str, source: str) -> Item:
    nct_id = row["nct_id"].strip()
    if not nct_id:
        return Failure(None, source, "row with an empty nct_id")
    text = row[criteria_column]
    if not text.strip():
        return Failure(nct_id, source, f"no eligibility criteria (empty {criteria_column} column)")
    conditions = row.get("conditions") or ""
    return Record(
        id=nct_id, source=source, format="aact-csv", text=text,
        title=_first(row, _TITLE_COLUMNS), sponsor=_first(row, _SPONSOR_COLUMNS), status=_first(row, _STATUS_COLUMNS), phase=_first(row, ("phase",)),
        conditions=[c.strip() for c in conditions.split("|") if c.strip()],
        sex=_first(row, ("gender", "sex")),
        minimum_age=_first(row, ("minimum_age",)), maximum_age=_first(row, ("maximum_age",)),
        healthy_volunteers=_HEALTHY.get((row.get("healthy_volunteers") or "").strip().lower()),
    )


def _column(columns: list[str], names: tuple[str, ...]) -> Optional[int]:
    return next((columns.index(n) for n in names if n in columns), None)


def _first(row: dict[str, str], names: tuple[str, ...]) -> Optional[str]:
    return next((row[n].strip() for n in names if (row.get(n) or "").strip()), None)
