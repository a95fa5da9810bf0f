"""Small criteria of the team's own, one construction each (tests/cases/constraints.jsonl, values.jsonl).

Each line: ``text`` of one criterion and the constraints ``expect``-ed from it, in order; only the keys given
are checked (``flags`` lists the flag kinds). Curators can add lines without writing Python.

layout.jsonl: a whole ``text`` of criteria, its ``sections`` (kind and criteria texts), the ``warnings`` it must give
(each a part of one warning, as many as given) and optionally its ``constraints`` (comparator and value, in order).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import criteria_text
from criteria_parser.export.flat import flat_rows

#: constraints.jsonl: the constructions of the seed and after; values.jsonl: the value forms of issue 13.
CASES = [json.loads(line) for name in ("constraints.jsonl", "values.jsonl")
         for line in (Path(__file__).parent / "cases" / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:40] for c in CASES])
def test_case(parser, case):
    listing = parser.parse_text(criteria_text("1. " + case["text"]), "case.txt")
    rows = list(flat_rows(listing))
    assert len(rows) == len(case["expect"]), [(r["subject"], r["comparator"], r["value"]) for r in rows]
    for row, expected in zip(rows, case["expect"]):
        got = {key: sorted(f["kind"] for f in row["flags"]) if key == "flags" else row[key] for key in expected}
        assert got == expected


LAYOUT = [json.loads(line) for line in (Path(__file__).parent / "cases" / "layout.jsonl").read_text(
    encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("case", LAYOUT, ids=[c["text"][:40] for c in LAYOUT])
def test_layout_case(parser, case):
    """Headings with words of their own, a heading line carrying a long criterion, a text without headings and
    list labels glued to their text (issue 13): no section is lost, and what is guessed is warned about."""
    listing = parser.parse_text(case["text"], "case.txt")
    assert [[str(s.kind), [c.text for c in s.criteria]] for s in listing.sections] == case["sections"]
    assert len(listing.warnings) == len(case["warnings"])
    assert all(part in warning for part, warning in zip(case["warnings"], listing.warnings))
    if "constraints" in case:
        rows = list(flat_rows(listing))
        assert [[r["comparator"], r["value"]] for r in rows] == case["constraints"]
