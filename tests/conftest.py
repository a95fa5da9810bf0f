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
