"""``criteria-parser export``: dump the store as flat constraint rows or as criteria models."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Iterator, Optional

import typer

from ..cli import app, emit, fail
from ..errors import CriteriaParserError


class ExportFormat(str, Enum):
    flat = "flat"
    json = "json"


@app.command()
def export(
    db: Path = typer.Option(Path("trials.db"), "--db", help="The SQLite store."),
    format: ExportFormat = typer.Option(ExportFormat.flat, "--format", "-f", help="flat (JSON Lines, one constraint a line) or json (JSON Lines, one criteria model a line)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here (atomically) instead of stdout."),
) -> None:
    """Dump every stored trial, ordered by NCT id."""
    from ..store import Store

    try:
        store = Store(db, create=False)
    except CriteriaParserError as exc:
        fail(str(exc))
    with store:
        lines: Iterator[str] = (
            (json.dumps(row, ensure_ascii=False) + "\n" for row in store.constraint_rows())
            if format is ExportFormat.flat else (listing + "\n" for listing in store.listings())
        )
        try:
            emit(lines, output)
        except OSError as exc:
            fail(f"{output}: cannot write: {exc.strerror}")
