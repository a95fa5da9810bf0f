"""The constructions the Leaf Clinical Trials corpus demands, pinned by small examples of our own.

Each line of ``tests/cases/lct.jsonl`` is one criterion and the constraints expected from it, in the format
of ``tests/cases/constraints.jsonl`` (only the keys given are checked; ``flags`` lists flag kinds).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import criteria_text
from criteria_parser.flat import flat_rows

CASES = [json.loads(line) for line in (Path(__file__).parent / "cases" / "lct.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:40] for c in CASES])
def test_lct_construction(parser, case):
    listing = parser.parse_text(criteria_text("1. " + case["text"]), "case.txt")
    rows = list(flat_rows(listing))
    assert len(rows) == len(case["expect"]), [(r["comparator"], r["value"], r["category"], r["unit"]) for r in rows]
    for row, expected in zip(rows, case["expect"]):
        got = {key: sorted(f["kind"] for f in row["flags"]) if key == "flags" else row[key] for key in expected}
        assert got == expected
