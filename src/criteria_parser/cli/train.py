"""``criteria-parser train entities``: rebuild the shipped entity model from the Leaf and Chia corpora."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .base import app, fail

train_app = typer.Typer(help="Train the statistical components shipped with the package.", no_args_is_help=True)
app.add_typer(train_app, name="train")

_SHARED = Path("..") / "shared" / "corpora"


@train_app.command("entities")
def train_entities(
    leaf: Path = typer.Option(_SHARED / "leaf-dev", "--leaf", help="Leaf Clinical Trials corpus (brat, LCT scheme)."),
    chia: Path = typer.Option(_SHARED / "chia-dev", "--chia", help="Chia corpus (brat)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o",
                                          help="Model file to write (default: the one the package ships)."),
) -> None:
    """Train criteria_entities on the tune parts of Leaf and Chia (CPU, deterministic) and write the model."""
    from ..lct.training import train
    from ..pipeline.entities import MODEL

    for corpus in (leaf, chia):
        if not corpus.is_dir():
            fail(f"{corpus}: no such corpus directory")
    stats = train([leaf, chia], output or MODEL)
    typer.echo(f"trained on {stats.lines} lines, {stats.entities} mentions ({stats.overlapping} overlapping "
               f"mentions dropped, {stats.grown} grown to token edges); model in {output or MODEL}")
