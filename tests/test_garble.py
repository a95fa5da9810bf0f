"""Garbled copies keep every annotation on the words it marked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from criteria_parser.lct.garble import Edit, apply, garble

FIXTURE = Path(__file__).parent / "fixtures" / "lct"


def test_apply_moves_offsets_past_each_edit():
    text = "a ≥ 18 years\nb"
    garbled, move = apply(text, [Edit(2, 3, ">/="), Edit(3, 4, ""), Edit(12, 13, "\r\n")])
    assert garbled == "a >/=18 years\r\nb"
    assert garbled[move(4):move(6)] == "18" and garbled[move(13):] == "b"


@pytest.mark.parametrize("seed", range(5))
def test_garbled_annotations_still_mark_their_words(seed):
    text = (FIXTURE / "NCT00000001.txt").read_text(encoding="utf-8")
    ann = (FIXTURE / "NCT00000001.ann").read_text(encoding="utf-8")
    garbled, moved = garble(text, ann, seed, rate=0.5)
    assert garbled != text and "\r\n" in garbled
    entities = [line for line in moved.splitlines() if line.startswith("T")]
    assert len(entities) == len([line for line in ann.splitlines() if line.startswith("T")])
    for line in entities:
        _, span, words = line.split("\t")
        start, end = map(int, re.findall(r"\d+", span)[:2])
        assert garbled[start:end] == words


def test_garbling_is_reproducible():
    text = (FIXTURE / "NCT00000001.txt").read_text(encoding="utf-8")
    ann = (FIXTURE / "NCT00000001.ann").read_text(encoding="utf-8")
    assert garble(text, ann, 7) == garble(text, ann, 7)
