"""The constructions the Leaf Clinical Trials corpus demands, pinned by small examples of our own.

Each line of ``tests/cases/lct.jsonl`` is one criterion and the constraints expected from it, in the format
of ``tests/cases/constraints.jsonl`` (only the keys given are checked; ``flags`` lists flag kinds).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import criteria_text
from criteria_parser.export.flat import flat_rows

CASES = [json.loads(line) for line in (Path(__file__).parent / "cases" / "lct.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:40] for c in CASES])
def test_lct_construction(parser, case):
    listing = parser.parse_text(criteria_text("1. " + case["text"]), "case.txt")
    rows = list(flat_rows(listing))
    assert len(rows) == len(case["expect"]), [(r["comparator"], r["value"], r["category"], r["unit"]) for r in rows]
    for row, expected in zip(rows, case["expect"]):
        got = {key: sorted(f["kind"] for f in row["flags"]) if key == "flags" else row[key] for key in expected}
        assert got == expected


@pytest.mark.parametrize("text, headings, count", [
    ("Key Inclusion Criteria\n- Age ≥ 18 years\nSubject Exclusion\n- ECOG > 2\n", ["Key Inclusion Criteria", "Subject Exclusion"], 2),
    ("Inclution criteria:\nAge 18 to 65 years\nExlusion Criteria\n• Creatinine > 2 mg/dL\n", ["Inclution criteria", "Exlusion Criteria"], 2),
    ("Inclusion criteria\r\n1.Age>=18 years\r\n2.ECOG 0-1\r\nExclusion criteria\r\n1.Bilirubin > 1.5 x ULN\r\n", ["Inclusion criteria", "Exclusion criteria"], 3),
    ("Criteria: Inclusion Criteria:\n  -  Surgery within the next 30 days\nExclusion Criteria:\n  -  Age < 18 years\n", ["Inclusion Criteria", "Exclusion Criteria"], 2),
])
def test_real_section_headings_and_unnumbered_criteria(parser, text, headings, count):
    listing = parser.parse_text(text, "case.txt")
    assert [s.heading for s in listing.sections] == headings
    assert len(list(listing.constraints())) == count
