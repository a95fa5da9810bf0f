"""The ``criteria-parser`` command line.

Every command reports a user's mistake (bad file, bad option: a
:class:`~criteria_parser.errors.CriteriaParserError`) as one line on stderr,
``criteria-parser: file:line: problem``, and exit code 2, never a traceback:
the command group turns it into that line (:class:`_Commands`, with
:func:`say`). Output files are written whole or not at all
(:func:`criteria_parser.document.atomic.write_atomic`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, NoReturn, Optional

import typer
from typer.core import TyperGroup

from ..document.atomic import write_atomic
from ..errors import CriteriaParserError

if TYPE_CHECKING:
    from ..model import Listing

#: The exit code of a user's mistake.
MISTAKE = 2


def say(problem: object) -> None:
    """Print ``criteria-parser: problem`` on stderr: how every mistake and failure is shown."""
    typer.echo(f"criteria-parser: {problem}", err=True)


class _Commands(TyperGroup):
    """The commands, each of whose user mistakes ends it with one line and :data:`MISTAKE`."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CriteriaParserError as exc:
            say(exc)
            raise typer.Exit(MISTAKE) from None


app = typer.Typer(
    cls=_Commands,
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
        from .. import SCHEMA_VERSION, grammars_version

        typer.echo(f"criteria-parser {__version__} (grammars {grammars_version()}, model schema {SCHEMA_VERSION})")
        raise typer.Exit()


@app.callback()
def options(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="Print the versions of the tool, its grammars and the model schema, and exit."),
) -> None:
    """Turn the free-text eligibility criteria of clinical-trial listings into a machine-readable model."""


def fail(message: str) -> NoReturn:
    """End the command for a mistake in how it was called (options that do not go together).

    Raises:
        CriteriaParserError: always; the command group prints it.
    """
    raise CriteriaParserError(message)


def emit(chunks: Iterable[str], output: Optional[Path]) -> None:
    """Write ``chunks`` to ``output`` atomically, or to stdout.

    Raises:
        CriteriaParserError: ``output`` cannot be written.
    """
    if output is None:
        try:
            for chunk in chunks:
                sys.stdout.write(chunk)
            sys.stdout.flush()
        except BrokenPipeError:  # "| head": the reader has what it wanted
            sys.stderr.close()
            raise typer.Exit(0)
    else:
        write(output, "".join(chunks))


def write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically.

    Raises:
        CriteriaParserError: ``path`` cannot be written.
    """
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise CriteriaParserError(f"cannot write: {exc.strerror or exc}", exc.filename or path) from None


def models_json(listings: list[Listing], one: bool) -> list[str]:
    """The models as indented JSON: one object when ``one`` was asked for, else an array."""
    if one and listings:
        return [listings[0].model_dump_json(indent=2) + "\n"]
    return ["[\n", ",\n".join(listing.model_dump_json(indent=2) for listing in listings), "\n]\n"]
