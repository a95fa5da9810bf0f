"""Time-window anchors on real records: draw a sample of "before" windows to judge, and score a judged sample.

    .venv/bin/python benchmarks/anchor_sample.py count [--part tune|held|all]
    .venv/bin/python benchmarks/anchor_sample.py draw --part tune --seed 16 --out benchmarks/anchor-sample-tune.jsonl
    .venv/bin/python benchmarks/anchor_sample.py score benchmarks/anchor-sample-tune.jsonl

Reads the ClinicalTrials.gov records of ../shared/ctgov (each trial once, the first copy read), parses them and
takes every time window whose direction is "before". ``draw`` writes a fixed-seed sample of them, one JSON line
each: the trial, the value's offset in the record's criteria text, the window's words (from its constraint's text
to the end of its clause) and the anchor the parser found then; ``named`` (the anchor the words name, or null
when they name none) is filled in by hand. ``score`` parses again and counts, among the windows whose words name an
anchor, those whose anchor is found (exactly, or as the words write it where anchors.jsonl has a name for it),
missed or another one (wrong), and the anchors found where the words name none (invented).
Tune only on the ``tune`` part of :mod:`criteria_parser.lct.split`; of the ``held`` part report only the aggregate.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

from criteria_parser.lct.split import in_part
from criteria_parser.parser import Parser
from criteria_parser.registry.records import Failure, Record, read_inputs
from criteria_parser.registry.records.markdown import unescape
from criteria_parser.registry.records.parse import parse_records

ROOT = Path(__file__).resolve().parents[1]
CTGOV = ROOT.parent / "shared" / "ctgov"
#: Where a window's clause ends: a semicolon, a full stop before a space, a blank line or the next bullet.
_CLAUSE_END = re.compile(r";|\.\s|\n\s*\n|\n\s*(?:[-*•]|\d+\.)\s")


@dataclass
class Window:
    """A time window of a parsed record."""

    nct_id: str
    start: int
    words: str
    direction: Optional[str]
    anchor: Optional[str]


def records(part: str) -> list[Record]:
    """The records of ../shared/ctgov in ``part``, each trial once (the first copy read)."""
    seen: set[str] = set()
    found = []
    for item in read_inputs([CTGOV]):
        if isinstance(item, Failure) or item.id in seen or not in_part(item.id, part):
            continue
        seen.add(item.id)
        found.append(item)
    return found


def windows(parser: Parser, part: str) -> Iterator[Window]:
    """Every time window of the part's records, in reading order."""
    chosen = records(part)
    for first in range(0, len(chosen), 50):
        for item in parse_records(parser, chosen[first:first + 50]):
            if isinstance(item, Failure):
                continue
            record, listing = item
            for _, _, constraint in listing.constraints():
                if constraint.kind == "time_window":
                    yield Window(record.id, constraint.start, _words(record, constraint.text_start, constraint.end),
                                 constraint.direction, constraint.anchor)


def _words(record: Record, start: int, value_end: int) -> str:
    text = record.text
    clause = _CLAUSE_END.search(text, value_end)
    end = min(clause.start() if clause else len(text), value_end + 160)
    words = text[start:end]
    return " ".join((unescape(words)[0] if record.escaped else words).split())


def judge(window: dict, anchor: Optional[str], names: set[str]) -> str:
    """How the anchor found now stands to the judged one: ``exact``; ``as written`` (the named event, found as
    the words write it rather than under its name in anchors.jsonl); ``missed``; ``wrong`` (another event);
    ``invented`` (the words name none); ``none`` (rightly none)."""
    if window["named"] is None:
        return "none" if anchor is None else "invented"
    if anchor is None:
        return "missed"
    if anchor == window["named"]:
        return "exact"
    if anchor not in names and window["named"] in names and anchor.lower() in window["words"].lower():
        return "as written"
    return "wrong"


def score(judged: list[dict], found: dict[tuple[str, int], Optional[str]], names: set[str]) -> dict[str, int]:
    """Counts of a judged sample against the anchors found now, by (trial, value offset), whatever the window's
    direction now (a window no longer found counts as unanchored); ``found`` is exact plus as written."""
    counts = Counter(judge(j, found.get((j["nct_id"], j["start"])), names) for j in judged)
    return {"windows": len(judged), "named": sum(1 for j in judged if j["named"]),
            "found": counts["exact"] + counts["as written"], **{k: counts[k] for k in
                                                                ("exact", "as written", "missed", "wrong", "invented")}}


def main() -> None:
    """Count, draw or score, as the module's docstring says."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("action", choices=["count", "draw", "score"])
    options.add_argument("judged", nargs="?", type=Path, help="score: the judged sample")
    options.add_argument("--part", choices=["tune", "held", "all"], default="tune")
    options.add_argument("--seed", type=int, default=16)
    options.add_argument("--size", type=int, default=100)
    options.add_argument("--out", type=Path)
    options.add_argument("--list", action="store_true", help="score: list the disagreements (tune part only)")
    args = options.parse_args()
    parser = Parser()
    if args.action == "score":
        judged = [json.loads(line) for line in args.judged.read_text(encoding="utf-8").splitlines()]
        parts = {"held" if not in_part(j["nct_id"], "tune") else "tune" for j in judged}
        found = {(w.nct_id, w.start): w.anchor for part in parts for w in windows(parser, part)}
        names = {rule.name for rule in parser.grammars.anchors}
        counts = score(judged, found, names)
        print(json.dumps({**counts, "share": round(counts["found"] / counts["named"], 3) if counts["named"] else None}))
        if args.list and parts == {"tune"}:  # never the held part's lines
            for j in judged:
                now = found.get((j["nct_id"], j["start"]))
                if judge(j, now, names) not in ("exact", "none"):
                    print(f"{j['nct_id']} {j['start']}: named {j['named']!r}, found {now!r}: {j['words']}")
        return
    every = [w for w in windows(parser, args.part) if w.direction == "before"]
    if args.action == "count":
        anchored = sum(1 for w in every if w.anchor)
        print(f"{len(every)} before windows in the {args.part} part, {anchored} with an anchor")
        return
    sample = random.Random(args.seed).sample(every, min(args.size, len(every)))
    lines = [json.dumps({"nct_id": w.nct_id, "start": w.start, "words": w.words, "found": w.anchor, "named": None},
                        ensure_ascii=False) for w in sample]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} windows of {len(every)} written to {args.out}")


if __name__ == "__main__":
    main()
