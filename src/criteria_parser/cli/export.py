"""``criteria-parser export``: the store as flat rows or models; listings for brat, Label Studio or rule engines."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Iterator, Optional

import typer

from .base import app, emit, fail, write

CORPUS = Path("corpora")


class ExportFormat(str, Enum):
    flat = "flat"
    json = "json"
    brat = "brat"
    label_studio = "label-studio"
    jsonlogic = "jsonlogic"
    fhir = "fhir"


@app.command()
def export(
    paths: Optional[list[Path]] = typer.Argument(None, help="brat and label-studio: the listings to export (files or directories; default corpora/); jsonlogic and fhir: one listing (.txt, or the JSON written by 'parse'). flat and json export the store instead."),
    format: ExportFormat = typer.Option(ExportFormat.flat, "--format", "-f", help="flat (JSON Lines, one stored constraint a line), json (JSON Lines, one stored criteria model a line), brat (.txt/.ann pairs in the Leaf Clinical Trials scheme), label-studio (tasks with pre-annotations), jsonlogic (one rule per criterion and one for the listing), or fhir (R5 EvidenceVariable + ResearchStudy)."),
    db: Path = typer.Option(Path("trials.db"), "--db", help="flat and json: the SQLite store."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", "--out", help="Write here (atomically) instead of stdout; for brat, the directory to write (required)."),
    config: Optional[Path] = typer.Option(None, "--config", help="label-studio: also write the labeling config (XML) here."),
    assume_inclusion: bool = typer.Option(False, "--assume-inclusion", help="brat: read text without section headings as inclusion criteria."),
    grammars: Optional[Path] = typer.Option(None, "--grammars", help="Parse with this grammar directory instead of the packaged one."),
) -> None:
    """Dump the store (flat, json); write listings for curation (brat, label-studio) or for rule engines."""
    if format in (ExportFormat.flat, ExportFormat.json):
        if paths:
            fail(f"--format {format.value} exports the store given by --db; to parse files use "
                 f"'criteria-parser parse FILE --format flat'")
        _store(db, format, output)
    elif config is not None and format is not ExportFormat.label_studio:
        fail("--config is for --format label-studio")
    elif format is ExportFormat.brat:
        _brat(paths or [CORPUS], output, assume_inclusion, grammars)
    elif format is ExportFormat.label_studio:
        _label_studio(paths or [CORPUS], output, config)
    else:
        if not paths or len(paths) != 1:
            fail(f"--format {format.value} exports the criteria of one listing: give its file")
        _rules(paths[0], format, output, grammars)


def _store(db: Path, format: ExportFormat, output: Optional[Path]) -> None:
    """Every stored trial, ordered by NCT id."""
    from ..registry.store import Store

    with Store(db, create=False) as store:
        lines: Iterator[str] = (
            (json.dumps(row, ensure_ascii=False) + "\n" for row in store.constraint_rows())
            if format is ExportFormat.flat else (listing + "\n" for listing in store.listings())
        )
        emit(lines, output)


def _brat(paths: list[Path], out: Optional[Path], assume_inclusion: bool, grammars: Optional[Path]) -> None:
    """The .txt/.ann pairs and annotation.conf of a brat collection that opens for correction."""
    from ..lct.export import export_brat

    if out is None:
        fail("--format brat writes a directory of .txt/.ann pairs: give it with --output DIR")
    written = export_brat(paths, out, assume_inclusion, grammars)
    typer.echo(f"wrote {len(written)} document(s) to {out}", err=True)


def _label_studio(paths: list[Path], output: Optional[Path], config: Optional[Path]) -> None:
    """Label Studio tasks (one per listing of a corpus directory) with our constraints as pre-annotations."""
    from ..parser import Parser
    from ..curation.corpus import Corpus
    from ..curation.labelstudio import export_tasks, labeling_config

    if len(paths) != 1 or not paths[0].is_dir():
        fail("--format label-studio exports one corpus directory of listings (.txt)")
    tasks = export_tasks(Corpus(paths[0]), Parser())
    emit([json.dumps(tasks, ensure_ascii=False, indent=1) + "\n"], output)
    if config is not None:
        write(config, labeling_config())


def _rules(listing: Path, format: ExportFormat, output: Optional[Path], grammars: Optional[Path]) -> None:
    """A listing's criteria as rules for other engines: JsonLogic, or FHIR R5 resources."""
    from ..match.run import load_listing, plan_for

    plan = plan_for(load_listing(listing, grammars), grammars)
    if format is ExportFormat.jsonlogic:
        from ..export.jsonlogic import export_jsonlogic

        document = export_jsonlogic(plan)
    else:
        from ..export.fhir import export_fhir
        from ..grammar.loader import load_grammars
        from ..grammar.matching import load_matching_grammar

        document = export_fhir(plan, load_grammars(grammars), load_matching_grammar(grammars))
    emit([json.dumps(document, indent=2, ensure_ascii=False) + "\n"], output)
