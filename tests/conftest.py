"""Shared fixtures: one parser for the whole run (loading grammars and the pipeline takes about a second)."""

from __future__ import annotations

from pathlib import Path

import pytest

from criteria_parser.parser import Parser

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpora" / "NCT06633354-listing.txt"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def parser() -> Parser:
    return Parser()


@pytest.fixture(scope="session")
def seed_listing(parser: Parser):
    return parser.parse_file(SEED)


def criteria_text(*lines: str, heading: str = "Inclusion Criteria:") -> str:
    """A small listing with one section."""
    return "\n".join([heading, *lines]) + "\n"


#: The shared corpora (Leaf, Chia) beside the project; tests that read them skip when they are absent.
CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"


def brat_corpus(path: Path, conf: str, text: str, ann: str) -> Path:
    """A brat corpus at ``path``: ``annotation.conf`` and one document in each part of the split."""
    path.mkdir()
    (path / "annotation.conf").write_text(conf, encoding="utf-8")
    for name in ("NCT00000001", "NCT00000003"):  # one in each part
        (path / f"{name}.txt").write_bytes(text.encode("utf-8"))
        (path / f"{name}.ann").write_text(ann, encoding="utf-8")
    return path
