"""``criteria-parser review`` and ``import-annotations``: curating gold files."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Optional

import typer

from .base import app, say
from ..errors import CriteriaParserError

CURATOR_HELP = "Name the review log records (default: login name)."


@app.command()
def review(
    corpus: Path = typer.Argument(Path("corpora"), help="Directory of listings (.txt) and their gold files."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; anything but loopback needs --token."),
    port: int = typer.Option(8765, "--port", help="Port to listen on (0: any free port)."),
    token: Optional[str] = typer.Option(None, "--token", help="Secret every request must carry."),
    curator: Optional[str] = typer.Option(None, "--curator", help=CURATOR_HELP),
) -> None:
    """Start the curator workbench: correct extractions in the browser and save them as gold."""
    from ..workbench.serve import serve

    serve(corpus, host, port, token, curator or getpass.getuser())


@app.command("import-annotations")
def import_annotations(
    source: Path = typer.Argument(..., help="A Label Studio JSON export of tasks made by export --format label-studio, "
                                           "or a brat directory of .txt/.ann pairs (as export --format brat writes)."),
    corpus: Path = typer.Option(Path("corpora"), "--corpus", help="The corpus the Label Studio tasks' listings live in."),
    curator: Optional[str] = typer.Option(None, "--curator", help=CURATOR_HELP),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace gold files that exist already."),
) -> None:
    """Read curated annotations (Label Studio, or brat) back into gold files (validated; all or nothing).

    A brat directory is its own corpus: each gold file is written beside its .txt.
    """
    from ..parser import Parser
    from ..curation.corpus import Corpus, fingerprint
    from ..curation.saving import record_save

    if source.is_dir():
        from ..curation.brat_import import import_brat

        store, action = Corpus(source), "import brat"
        imported = import_brat(store, Parser())
    else:
        from ..curation.labelstudio import import_tasks

        tasks = _read_tasks(source)
        store, action = Corpus(corpus), "import label-studio"
        imported = import_tasks(tasks, store, Parser(), str(source))
    for item in imported:
        if item.files.gold.exists() and not overwrite:
            raise CriteriaParserError("exists already (--overwrite replaces it)", item.files.gold)
    for item in imported:
        record_save(store, item.files, item.parsed, item.gold, fingerprint(item.files.gold),
                    curator or getpass.getuser(), action)
    say(f"{len(imported)} gold file(s) written from {source}")


def _read_tasks(export_file: Path) -> list:
    """The tasks of a Label Studio JSON export.

    Raises:
        CriteriaParserError: the file cannot be read, is not JSON, or is not a list of tasks.
    """
    try:
        tasks = json.loads(export_file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CriteriaParserError(f"cannot read: {exc.strerror}", export_file) from None
    except ValueError as exc:
        raise CriteriaParserError(f"not JSON: {exc}", export_file) from None
    except RecursionError:
        raise CriteriaParserError("not JSON that can be read: nested too deeply", export_file) from None
    if not isinstance(tasks, list):
        raise CriteriaParserError("not a Label Studio JSON export (expected a list of tasks)", export_file)
    return tasks
