"""Make garbled copies of a brat corpus, keeping every annotation on the words it marked.

Real listings, scraped or machine-translated, are messier than curated text.
:func:`garble` applies, at random but reproducibly (one seed per document):
comparators respelled (``≥`` as ``=>``, ``>/=`` or ``≧``; ``≤`` as ``=<``,
``</=`` or ``≦``; ``>``/``<`` full-width), the space after a comparator or a
list number dropped, digits 1-12 of values written as words, the µ of µmol/L
lost, typos (two inner letters swapped) in time units ("monhts") and in words
outside the annotations,
bullets respelled, and CRLF line endings (a corpus's own line breaks, Chia's lone CR included, are kept; in
Chia's value spans, which hold number and unit together and are its only gold, numbers become words as LCT's
values do, and the unit words are left as they are). Every edit replaces a span no
annotation boundary falls strictly inside, so each boundary maps to the
garbled text exactly; :func:`garble_corpus` writes the ``.txt``/``.ann`` pairs.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .brat import TextRange, decode_brat
from ..document.atomic import write_atomic

_WORDS = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
_RESPELL = {"≥": ["=>", ">/=", "≧", ">="], "≤": ["=<", "</=", "≦", "<="], ">": ["＞"], "<": ["＜"]}
_SPAN = re.compile(r"^(?P<id>T\d+)\t(?P<type>\S+) (?P<spans>\d+ \d+(?:;\d+ \d+)*)\t")
#: Chia's value spans, and the numbers inside them (not a power or a unit's digits: "mm^3", "mL/1.73").
_CHIA_VALUES = ("Value", "Temporal", "Multiplier")
_SPAN_NUMBER = re.compile(r"(?<![\w.,^/])\d{1,2}(?![\w.,^])")


@dataclass(frozen=True)
class Edit(TextRange):
    """Replace ``text[start:end]`` with ``new``."""

    new: str


def _boundaries(ann: str) -> tuple[set[int], list[tuple[int, int, str]]]:
    points: set[int] = set()
    spans = []
    for line in ann.split("\n"):
        found = _SPAN.match(line)
        if found:
            numbers = [int(n) for n in re.findall(r"\d+", found.group("spans"))]
            points.update(numbers)
            spans.append((numbers[0], numbers[-1], found.group("type")))
    return points, spans


def _swap(word: str, rng: random.Random) -> str:
    """``word`` with two inner letters swapped: "creatinine" -> "creatinnie"."""
    k = rng.randrange(1, len(word) - 2)
    return word[:k] + word[k + 1] + word[k] + word[k + 2:]


def _edits(text: str, ann: str, rng: random.Random, rate: float) -> list[Edit]:
    points, spans = _boundaries(ann)
    inside = [(s, e) for s, e, _ in spans]

    def covered(i: int) -> bool:
        return any(s <= i < e for s, e in inside)

    candidates: list[Edit] = []
    for i, char in enumerate(text):
        if char in _RESPELL and rng.random() < 0.6:
            candidates.append(Edit(i, i + 1, rng.choice(_RESPELL[char])))
            if text[i + 1:i + 2] == " " and text[i + 2:i + 3].isdigit() and rng.random() < 0.5:
                candidates.append(Edit(i + 1, i + 2, ""))
        elif char in "µμ" and rng.random() < 0.7:
            candidates.append(Edit(i, i + 1, ""))
        elif char == "\n" and text[i - 1:i] != "\r":
            candidates.append(Edit(i, i + 1, "\r\n"))
    for start, end, kind in spans:
        word = text[start:end]
        if kind == "Eq-Value" and word.isdigit() and 0 < int(word) <= 12 and rng.random() < rate * 4:
            candidates.append(Edit(start, end, _WORDS[int(word)]))
        elif kind == "Eq-Temporal-Unit" and word.isalpha() and len(word) >= 5 and rng.random() < rate * 4:
            candidates.append(Edit(start, end, _swap(word, rng)))  # "monhts"
        elif kind in _CHIA_VALUES:  # Chia marks number and unit in one span ("within 6 months"), its only gold:
            for found in _SPAN_NUMBER.finditer(word):  # numbers become words; its unit words stay as they are
                if 0 < int(found.group()) <= 12 and rng.random() < rate * 4:
                    candidates.append(Edit(start + found.start(), start + found.end(), _WORDS[int(found.group())]))
    for found in re.finditer(r"(?m)^(\s*)-(\s+)", text):
        if rng.random() < 0.5:
            candidates.append(Edit(found.start(0) + len(found.group(1)), found.end(0), "• "))
    for found in re.finditer(r"(?m)^(\s*\d+\.) (?=\S)", text):
        if rng.random() < 0.5:
            candidates.append(Edit(found.end(1), found.end(1) + 1, ""))
    for found in re.finditer(r"[A-Za-z]{6,}", text):
        if not covered(found.start()) and rng.random() < rate:
            candidates.append(Edit(found.start(), found.end(), _swap(found.group(), rng)))
    chosen: list[Edit] = []
    taken_until = -1
    for edit in sorted(candidates, key=lambda e: (e.start, e.end)):
        straddles = any(edit.start < p < edit.end for p in points)
        if edit.start >= taken_until and not straddles:
            chosen.append(edit)
            taken_until = max(edit.end, edit.start + 1)
    return chosen


def apply(text: str, edits: list[Edit]) -> tuple[str, Callable[[int], int]]:
    """The edited text, and a function mapping an offset of ``text`` to the edited text."""
    pieces, position = [], 0
    for edit in edits:
        pieces.append(text[position:edit.start])
        pieces.append(edit.new)
        position = edit.end
    pieces.append(text[position:])
    shifts = [(edit.end, len(edit.new) - (edit.end - edit.start)) for edit in edits]

    def move(offset: int) -> int:  # no boundary falls strictly inside an edit
        return offset + sum(delta for end, delta in shifts if end <= offset)
    return "".join(pieces), move


def garble(text: str, ann: str, seed: int, rate: float = 0.05) -> tuple[str, str]:
    """A garbled copy of ``text`` and its annotations ``ann`` moved onto it."""
    edits = _edits(text, ann, random.Random(seed), rate)
    garbled, move = apply(text, edits)
    lines = []
    for line in ann.split("\n"):
        found = _SPAN.match(line)
        if found:
            numbers = [move(int(n)) for n in re.findall(r"\d+", found.group("spans"))]
            pairs = ";".join(f"{numbers[i]} {numbers[i + 1]}" for i in range(0, len(numbers), 2))
            fragments = " ".join(garbled[numbers[i]:numbers[i + 1]] for i in range(0, len(numbers), 2))
            line = f"{found.group('id')}\t{found.group('type')} {pairs}\t{fragments}"
        lines.append(line)
    return garbled, "\n".join(lines)


def garble_corpus(source: Path, out: Path, seed: int = 0, rate: float = 0.05) -> int:
    """Write a garbled copy of every ``.txt``/``.ann`` pair under ``source`` into ``out``; returns the count."""
    count = 0
    for number, txt in enumerate(sorted(Path(source).rglob("*.txt"))):
        ann = txt.with_suffix(".ann")
        if not ann.is_file():
            continue
        garbled, moved = garble(decode_brat(txt), decode_brat(ann), seed * 100003 + number, rate)
        target = out / txt.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, garbled)
        write_atomic(target.with_suffix(".ann"), moved)
        count += 1
    return count
