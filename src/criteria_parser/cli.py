"""The ``criteria-parser`` command line.

Every command reports a user's mistake (bad file, bad option) as one line on
stderr and a non-zero exit, never a traceback; output files are written
whole or not at all (:func:`criteria_parser.atomic.write_atomic`).
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Iterable, Iterator, Optional

import typer

from .atomic import write_atomic
from .errors import CriteriaParserError, InputError

app = typer.Typer(
    name="criteria-parser",
    help="Turn the free-text eligibility criteria of clinical-trial listings into a machine-readable model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(asked: bool) -> None:
    if asked:
        from . import __version__
        from .grammar import load_grammars
        from .model import SCHEMA_VERSION

        typer.echo(f"criteria-parser {__version__} (grammars {load_grammars().version}, model schema {SCHEMA_VERSION})")
        raise typer.Exit()


@app.callback()
def options(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="Print the versions of the tool, its grammars and the model schema, and exit."),
) -> None:
    """Turn the free-text eligibility criteria of clinical-trial listings into a machine-readable model."""


class OutputFormat(str, Enum):
    json = "json"
    flat = "flat"
    csv = "csv"
    html = "html"


def _inputs(paths: list[Path]) -> Iterator[Path]:
    """Files named (``-``: standard input), and the ``*.txt`` files of directories named, in order."""
    for path in paths:
        if str(path) == "-":
            yield path
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*.txt") if p.is_file())
            if not found:
                raise InputError(str(path), "directory holds no .txt listings")
            yield from found
        else:
            yield path


def fail(message: str, code: int = 2) -> None:
    """Print ``criteria-parser: message`` on stderr and exit with ``code``."""
    typer.echo(f"criteria-parser: {message}", err=True)
    raise typer.Exit(code)


def emit(chunks: Iterable[str], output: Optional[Path]) -> None:
    """Write ``chunks`` to ``output`` atomically, or to stdout."""
    if output is None:
        try:
            for chunk in chunks:
                sys.stdout.write(chunk)
            sys.stdout.flush()
        except BrokenPipeError:  # "| head": the reader has what it wanted
            sys.stderr.close()
            raise typer.Exit(0)
    else:
        write_atomic(output, "".join(chunks))


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
    from .flat import to_csv, to_jsonl
    from .parser import Parser

    try:
        files = list(_inputs(paths))
        parser = Parser(grammars)
    except CriteriaParserError as exc:
        fail(str(exc))
    listings, errors = [], []
    for path in files:
        try:
            if str(path) == "-":
                from .source import read_stream

                listings.append(parser.parse_source(read_stream(sys.stdin.buffer, max_bytes=int(max_mb * 1e6)),
                                                    assume_inclusion))
            else:
                listings.append(parser.parse_file(path, assume_inclusion, int(max_mb * 1e6)))
        except CriteriaParserError as exc:
            errors.append(str(exc))
    for error in errors:
        typer.echo(f"criteria-parser: {error}", err=True)
    if errors and not keep_going:
        raise typer.Exit(1)
    if format is OutputFormat.json:
        if len(files) == 1 and listings:
            chunks: Iterable[str] = [listings[0].model_dump_json(indent=2) + "\n"]
        else:
            chunks = ["[\n", ",\n".join(l.model_dump_json(indent=2) for l in listings), "\n]\n"]
    elif format is OutputFormat.html:
        from .workbench.reports import listing_page

        chunks = [listing_page(listings)]
    elif format is OutputFormat.flat:
        chunks = (line + "\n" for line in to_jsonl(listings))
    else:
        chunks = to_csv(listings)
    try:
        emit(chunks, output)
    except OSError as exc:
        fail(f"{output}: cannot write: {exc.strerror}")
    if errors:
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the criteria model."""
    from .model import Listing

    typer.echo(json.dumps(Listing.model_json_schema(), indent=2))


@app.command("eval")
def evaluate(
    corpus: Path = typer.Argument(Path("corpora"), help="Directory of listings with '<name>.gold.json' files beside them."),
    errors: int = typer.Option(50, "--errors", help="List at most this many disagreements."),
    json_out: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
    html_out: bool = typer.Option(False, "--html", help="Print the scores as a self-contained HTML page."),
    brat: Optional[Path] = typer.Option(None, "--brat", help="Score against a brat corpus in the Leaf Clinical Trials scheme instead."),
) -> None:
    """Compare parser output with every gold file of a corpus: precision, recall, F1 per field."""
    from .evaluate import evaluate_corpus, render_report

    if brat is not None:
        from .leaf_eval import run_brat_eval

        return run_brat_eval(brat, errors, json_out)
    try:
        report = evaluate_corpus(corpus)
    except CriteriaParserError as exc:
        fail(str(exc))
    if json_out:
        typer.echo(report.model_dump_json(indent=2))
    elif html_out:
        from .workbench.reports import eval_page

        typer.echo(eval_page(report))
    else:
        typer.echo(render_report(report, errors))


from .commands import export, importing, match, review, show  # noqa: E402,F401  (register their commands)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("criteria-parser: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
