"""Benchmark: what finding entities in every criterion costs on top of parsing (run on demand).

    .venv/bin/python benchmarks/bench_entities.py [--leaf ../shared/corpora/leaf-dev] [--model DIR]

On the Leaf texts, CPU time of one core: (1) the parser as it is (criteria without a number skip its spaCy
pipeline); (2) our tokenizer and ``criteria_entities`` on every criterion's text, alone; (3) the two together,
the cost of a parse that lists every criterion's entities; then the start-up of a process that loads the
parser and the entity model, and the peak memory of this process.
"""

from __future__ import annotations

import argparse
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

STARTUP = ("from criteria_parser.parser import Parser; from criteria_parser.lct.entity_scorer import entity_pipeline; "
           "p = Parser(); nlp = entity_pipeline({model}); "
           "p.parse_file(__import__('pathlib').Path({seed!r})); list(nlp.pipe(['History of stroke']))")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--leaf", type=Path, default=ROOT.parent / "shared" / "corpora" / "leaf-dev")
    options.add_argument("--model", type=Path, default=None)
    args = options.parse_args()

    from criteria_parser.document.source import SourceText
    from criteria_parser.lct.entity_scorer import entity_pipeline
    from criteria_parser.parser import Parser

    parser = Parser()
    nlp = entity_pipeline(args.model)
    texts = [SourceText(p.read_text(encoding="utf-8"), str(p)) for p in sorted(args.leaf.rglob("*.txt"))]
    list(parser.parse_many(texts[:20], assume_inclusion=True))  # warm-up
    list(nlp.pipe(["History of stroke"] * 50))

    started = time.process_time()
    listings = list(parser.parse_many(texts, assume_inclusion=True))
    parse_seconds = time.process_time() - started
    criteria = [c.text for listing in listings for _, c in listing.walk()]

    started = time.process_time()
    mentions = sum(len(doc._.cp_entities) for doc in nlp.pipe(criteria, batch_size=256))
    entity_seconds = time.process_time() - started

    n = len(criteria)
    print(f"machine: {platform.machine()} {platform.python_version()}, cpus={__import__('os').cpu_count()}, "
          f"load average before: {open('/proc/loadavg').read().split()[0]}")
    print(f"Leaf: {len(texts)} texts, {n} criteria")
    print(f"(1) parser alone: {n / parse_seconds:,.0f} criteria/s")
    print(f"(2) tokenizer + criteria_entities on every criterion: {n / entity_seconds:,.0f} criteria/s "
          f"({mentions} mentions)")
    print(f"(3) both: {n / (parse_seconds + entity_seconds):,.0f} criteria/s")

    seed = str(ROOT / "corpora" / "NCT06633354-listing.txt")
    code = STARTUP.format(model=repr(str(args.model)) if args.model else "None", seed=seed)
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        runs.append(time.perf_counter() - t0)
    print(f"start-up: a process loading the parser and the entity model, parsing the seed: best {min(runs):.2f} s of 3")
    print(f"peak memory (this process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
