"""The ``criteria-parser`` command line.

Every command reports a user's mistake (bad file, bad option) as one line on
stderr and a non-zero exit, never a traceback; output files are written
whole or not at all (:func:`criteria_parser.document.atomic.write_atomic`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Optional

import typer

from ..document.atomic import write_atomic

if TYPE_CHECKING:
    from ..model import Listing

app = typer.Typer(
    name="criteria-parser",
    help="Turn the free-text eligibility criteria of clinical-trial listings into a machine-readable model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Typer's Rich help gives every flag a type column (``--keep-going <bool>``), which reads as if it took a value;
    # its plain help (Click's layout) shows flags as flags
    rich_markup_mode=None,
)


def _print_version(asked: bool) -> None:
    if asked:
        from .. import __version__
        from ..grammar.loader import load_grammars
        from ..model import SCHEMA_VERSION

        typer.echo(f"criteria-parser {__version__} (grammars {load_grammars().version}, model schema {SCHEMA_VERSION})")
        raise typer.Exit()


@app.callback()
def options(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="Print the versions of the tool, its grammars and the model schema, and exit."),
) -> None:
    """Turn the free-text eligibility criteria of clinical-trial listings into a machine-readable model."""


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


def models_json(listings: list[Listing], one: bool) -> list[str]:
    """The models as indented JSON: one object when ``one`` was asked for, else an array."""
    if one and listings:
        return [listings[0].model_dump_json(indent=2) + "\n"]
    return ["[\n", ",\n".join(listing.model_dump_json(indent=2) for listing in listings), "\n]\n"]
