"""``criteria-parser show``: print one stored trial's criteria model."""

from __future__ import annotations

from pathlib import Path

import typer

from .base import app, fail
from ..errors import CriteriaParserError


@app.command()
def show(
    nct_id: str = typer.Argument(..., help="The trial's NCT id."),
    db: Path = typer.Option(Path("trials.db"), "--db", help="The SQLite store."),
) -> None:
    """Print the stored criteria model of one trial as JSON."""
    from ..registry.store import Store

    try:
        with Store(db, create=False) as store:
            listing = store.listing(nct_id.strip().upper())
    except CriteriaParserError as exc:
        fail(str(exc))
    if listing is None:
        fail(f"{nct_id}: not in {db}")
    typer.echo(listing.model_dump_json(indent=2))
