"""Garbled input of every kind is read or refused cleanly: seeded random mutations of our own fixtures.

Each mutation inserts, deletes or copies characters (or bytes) at random; the parser must return a model
whose spans lie inside the text, or raise its own one-line error, never anything else, and most mutations
must still be read (refusing every input would pass the first rule alone). The seeds are fixed, so a failure
reproduces; the same code run longer found the bugs these tests now hold down.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from criteria_parser.errors import CriteriaParserError
from criteria_parser.registry.records import Failure, Record, read_inputs
from criteria_parser.registry.records.parse import parse_records

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpora" / "NCT06633354-listing.txt"
RECORDS = ROOT / "tests" / "fixtures" / "records"
CHARACTERS = "0123456789<>=≤≥≦≧＜＞~-–/.,;:()[]x×*^µ%+ \n\t\r abcdefgxyzABCXYZⅠⅡⅢ½’“\u00a0\u200b"


def _mutate(items: list, rng: random.Random, alphabet) -> list:
    for _ in range(rng.randint(1, 40)):
        at, choice = rng.randrange(len(items) + 1), rng.random()
        if choice < 0.4:
            items.insert(at, rng.choice(alphabet))
        elif choice < 0.7 and items:
            del items[min(at, len(items) - 1)]
        elif items:
            start = rng.randrange(len(items))
            items[at:at] = items[start:start + rng.randint(1, 30)]
    return items


@pytest.mark.parametrize("seed", range(4))
def test_mutated_listings_parse_with_spans_inside_the_text(parser, seed):
    rng = random.Random(seed)
    original = SEED.read_text(encoding="utf-8")
    parsed = constraints = 0
    for number in range(50):
        text = "".join(_mutate(list(original), rng, CHARACTERS))
        try:
            listing = parser.parse_text(text, f"mutation-{seed}-{number}.txt")
        except CriteriaParserError:
            continue
        parsed += 1
        for _, criterion, constraint in listing.constraints():
            constraints += 1
            assert 0 <= criterion.start <= criterion.end <= len(text)
            assert 0 <= constraint.text_start <= constraint.start <= constraint.end <= len(text)
    # up to 40 small edits leave a listing a listing: nearly all still parse, with most of the seed's 19 constraints
    assert parsed >= 45 and constraints >= 15 * parsed, (parsed, constraints)


@pytest.mark.parametrize("seed", range(2))
def test_mutated_record_files_give_records_or_failure_rows(parser, tmp_path, seed):
    rng = random.Random(seed)
    sources = sorted(p for p in RECORDS.iterdir() if p.is_file())
    read = 0
    for number in range(60):
        source = rng.choice(sources)
        data = bytes(_mutate(list(source.read_bytes()), rng, list(range(256))))
        mutated = tmp_path / f"{number}{source.suffix}"
        mutated.write_bytes(data)
        items = list(read_inputs([mutated]))  # never raises: what cannot be read is a failure row
        parsed = parse_records(parser, [item for item in items if isinstance(item, Record)])
        read += sum(1 for item in parsed if not isinstance(item, Failure))
        for failure in (item for item in parsed if isinstance(item, Failure)):  # refused, but not crashed on
            assert failure.reason.split(":")[1].strip() in _OUR_ERRORS, failure.reason
    assert read >= 10, read  # random bytes break most files, but not every one: some records still parse


def _subclasses(cls: type) -> set[str]:
    return {cls.__name__}.union(*(_subclasses(sub) for sub in cls.__subclasses__()))


_OUR_ERRORS = _subclasses(CriteriaParserError)
