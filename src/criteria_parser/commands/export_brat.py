"""The ``export-brat`` command: extractions as brat standoff (LCT scheme) for curators who work in brat."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..brat_export import export_brat
from ..cli import app, fail
from ..errors import CriteriaParserError


@app.command("export-brat")
def export_brat_command(
    paths: list[Path] = typer.Argument(..., help="Listing files, or directories of .txt listings."),
    out: Path = typer.Option(..., "--out", help="Directory to write the .txt/.ann pairs and annotation.conf into."),
    assume_inclusion: bool = typer.Option(False, "--assume-inclusion", help="Read text without section headings as inclusion criteria."),
    grammars: Optional[Path] = typer.Option(None, "--grammars", help="Use this grammar directory instead of the packaged one."),
) -> None:
    """Write extractions as brat standoff (LCT scheme) that opens in brat for correction."""
    try:
        written = export_brat(paths, out, assume_inclusion, grammars)
    except CriteriaParserError as exc:
        fail(str(exc))
    typer.echo(f"wrote {len(written)} document(s) to {out}", err=True)
