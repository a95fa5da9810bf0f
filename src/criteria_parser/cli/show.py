"""``criteria-parser show``: print stored trials' criteria models."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import CriteriaParserError
from .base import app, emit, models_json


@app.command()
def show(
    nct_ids: list[str] = typer.Argument(..., metavar="NCT_ID...", help="The trials' NCT ids."),
    db: Path = typer.Option(Path("trials.db"), "--db", help="The SQLite store."),
) -> None:
    """Print the stored criteria model of each trial as JSON: an object for one id, an array for several."""
    from ..registry.store import Store

    wanted = [nct_id.strip().upper() for nct_id in nct_ids]
    with Store(db, create=False) as store:
        listings = {nct_id: store.listing(nct_id) for nct_id in wanted}
    missing = [nct_id for nct_id, listing in listings.items() if listing is None]
    if missing:
        raise CriteriaParserError(f"not in {db}", ", ".join(missing))
    emit(models_json([listings[nct_id] for nct_id in wanted], one=len(wanted) == 1), None)
