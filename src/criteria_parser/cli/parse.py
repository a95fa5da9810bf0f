"""``criteria-parser parse`` (listings to the criteria model) and ``criteria-parser schema``."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Iterable, Optional

import typer

from ..document.source import listing_paths
from ..errors import CriteriaParserError
from .base import app, emit, models_json, say


class OutputFormat(str, Enum):
    json = "json"
    flat = "flat"
    csv = "csv"
    html = "html"


@app.command()
def parse(
    paths: list[Path] = typer.Argument(..., help="Listing files, directories of .txt listings, or - for standard input."),
    format: OutputFormat = typer.Option(OutputFormat.json, "--format", "-f", help="json (the model), flat (JSON Lines, one constraint a line), csv, or html (a page with every constraint highlighted)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here (atomically) instead of stdout."),
    keep_going: bool = typer.Option(False, "--keep-going", help="Write what parsed even when some inputs fail (still exits 1)."),
    assume_inclusion: bool = typer.Option(False, "--assume-inclusion", help="Read text without section headings as inclusion criteria."),
    grammars: Optional[Path] = typer.Option(None, "--grammars", help="Use this grammar directory instead of the packaged one."),
    max_mb: float = typer.Option(10.0, "--max-mb", min=0.001, help="Refuse input files larger than this many megabytes."),
) -> None:
    """Parse listings and print their criteria model."""
    from ..export.flat import to_csv, to_jsonl
    from ..parser import Parser

    files = list(listing_paths(paths))
    parser = Parser(grammars)
    from ..document.source import read_source, read_stream

    listings, texts, errors = [], [], []
    for path in files:
        try:
            if str(path) == "-":
                source = read_stream(sys.stdin.buffer, max_bytes=int(max_mb * 1e6))
            else:
                source = read_source(path, int(max_mb * 1e6))
            listings.append(parser.parse_source(source, assume_inclusion))
            texts.append(source.text)
        except CriteriaParserError as exc:
            errors.append(exc)
    for error in errors:
        say(error)
    if errors and not keep_going:
        raise typer.Exit(1)
    if format is OutputFormat.json:
        chunks: Iterable[str] = models_json(listings, one=len(files) == 1)
    elif format is OutputFormat.html:
        from ..export.html import listing_page

        chunks = [listing_page(listings, texts)]
    elif format is OutputFormat.flat:
        chunks = (line + "\n" for line in to_jsonl(listings))
    else:
        chunks = to_csv(listings)
    emit(chunks, output)
    if errors:
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the criteria model."""
    from ..model import Listing

    typer.echo(json.dumps(Listing.model_json_schema(), indent=2))
