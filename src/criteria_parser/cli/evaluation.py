"""``criteria-parser eval``: score the parser against gold files, or against a brat corpus (``--brat``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ..errors import CriteriaParserError
from .base import app, fail


@app.command("eval")
def evaluate(
    corpus: Path = typer.Argument(Path("corpora"), help="Directory of listings with '<name>.gold.json' files beside them."),
    errors: int = typer.Option(50, "--errors", help="List at most this many disagreements."),
    json_out: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
    html_out: bool = typer.Option(False, "--html", help="Print the scores as a self-contained HTML page."),
    brat: Optional[Path] = typer.Option(None, "--brat", help="Score against a brat corpus in the Leaf Clinical Trials scheme instead."),
) -> None:
    """Compare parser output with every gold file of a corpus: precision, recall, F1 per field."""
    from ..curation.scoring import evaluate_corpus, render_report

    if brat is not None:
        from ..lct.scorer import evaluate_brat, render, summary

        try:
            brat_report = evaluate_brat(brat)
        except CriteriaParserError as exc:
            fail(str(exc))
        typer.echo(json.dumps(summary(brat_report), indent=2) if json_out else render(brat_report, errors))
        return
    try:
        report = evaluate_corpus(corpus)
    except CriteriaParserError as exc:
        fail(str(exc))
    if json_out:
        typer.echo(report.model_dump_json(indent=2))
    elif html_out:
        from ..curation.reports import eval_page

        typer.echo(eval_page(report))
    else:
        typer.echo(render_report(report, errors))
