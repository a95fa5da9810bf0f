"""The ``criteria-parser`` command line: a small base (:mod:`.base`) and one module per command.

May import every other subpackage; nothing imports it.
"""

from __future__ import annotations

import sys

import typer

from . import evaluation, export, importing, match, parse, review, show, train
from .base import app

__all__ = ["app", "main"]
#: The command modules, imported for the commands they register on :data:`app`.
COMMANDS = (evaluation, export, importing, match, parse, review, show, train)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("criteria-parser: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
