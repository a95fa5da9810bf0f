"""The ``match`` command: patients checked against a listing's criteria."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from .base import app, emit


class MatchFormat(str, Enum):
    text = "text"
    json = "json"


@app.command("match")
def match_command(
    listing: Path = typer.Argument(..., help="A listing (.txt), or the JSON written by 'parse'."),
    patients: list[Path] = typer.Argument(..., help="Patient JSON files or FHIR R4 Bundles."),
    format: MatchFormat = typer.Option(MatchFormat.text, "--format", "-f", help="text (a screening note) or json."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here (atomically) instead of stdout."),
    grammars: Optional[Path] = typer.Option(None, "--grammars", help="Use this grammar directory."),
) -> None:
    """Check patients against a listing: met / not met / unknown per criterion, and eligibility."""
    from ..match.note import render_note
    from ..match.run import load_listing, screen_files

    parsed = load_listing(listing, grammars)
    results = screen_files(parsed, patients, grammars)
    if format is MatchFormat.json:
        body = [r.model_dump(mode="json") for r in results]
        chunks = [json.dumps(body[0] if len(body) == 1 else body, indent=2, ensure_ascii=False) + "\n"]
    else:
        chunks = ["\n".join(render_note(r) for r in results)]
    emit(chunks, output)
