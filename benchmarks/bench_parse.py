"""Benchmark: criteria per second, peak memory and start-up time of the parser (run on demand).

    .venv/bin/python benchmarks/bench_parse.py [--criteria 10000] [--leaf ../shared/corpora/leaf-dev]

Reports, on one core: (1) the seed listing's criteria repeated to N criteria in one listing,
(2) the same spread over listings of the seed's size, (3) scaling with input size (1x, 2x, 4x),
(4) the Leaf dev texts when present, (5) start-up of `criteria-parser parse` on the seed, and
peak resident memory.
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
SEED = ROOT / "corpora" / "NCT06633354-listing.txt"


def count_criteria(listing) -> int:
    return sum(1 for _ in listing.walk())


def seed_block() -> str:
    text = SEED.read_text(encoding="utf-8")
    start = text.index("Inclusion Criteria:")
    end = text.index("Study details")
    return text[start:end]


def timed(parser, sources, assume_inclusion: bool = False) -> tuple[float, int, int]:
    """CPU seconds of this process (one core), criteria and constraints parsed.

    CPU time, not wall time, so that other work on the machine does not count against the parser.
    """
    start = time.process_time()
    criteria = constraints = 0
    for listing in parser.parse_many(sources, assume_inclusion):
        criteria += count_criteria(listing)
        constraints += sum(1 for _ in listing.constraints())
    return time.process_time() - start, criteria, constraints


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--criteria", type=int, default=10_000)
    options.add_argument("--leaf", type=Path, default=ROOT.parent / "shared" / "corpora" / "leaf-dev")
    args = options.parse_args()

    from criteria_parser.parser import Parser
    from criteria_parser.document.source import SourceText

    t0 = time.perf_counter()
    parser = Parser()
    load = time.perf_counter() - t0
    block = seed_block()
    per_block = count_criteria(parser.parse_text(block))
    repeats = max(1, args.criteria // per_block)
    print(f"machine: {platform.machine()} {platform.processor() or ''} {platform.python_version()}, "
          f"cpus={__import__('os').cpu_count()}; parser load {load:.2f} s")

    # (1) one long listing: the sections of the seed, repeated
    big = SourceText(("Inclusion Criteria:\n" + block.split("Inclusion Criteria:")[1].split("Exclusion Criteria:")[0]) * (repeats * 2), "big")
    seconds, criteria, constraints = timed(parser, [big])
    print(f"one listing of {criteria} criteria: {criteria / seconds:,.0f} criteria/s ({constraints} constraints, {seconds:.2f} s)")

    # (2) many seed-sized listings
    sources = [SourceText(block, f"seed-{i}") for i in range(repeats)]
    seconds, criteria, constraints = timed(parser, sources)
    print(f"{len(sources)} seed listings, {criteria} criteria: {criteria / seconds:,.0f} criteria/s, "
          f"{len(sources) / seconds:,.0f} listings/s")

    # (3) linear growth with input size
    for factor in (1, 2, 4):
        text = "Inclusion Criteria:\n" + block.split("Inclusion Criteria:")[1].split("Exclusion Criteria:")[0] * (repeats * factor // 2)
        seconds, criteria, _ = timed(parser, [SourceText(text, "scale")])
        print(f"  size x{factor}: {len(text) / 1e6:.1f} MB, {criteria} criteria in {seconds:.2f} s "
              f"({seconds / criteria * 1e6:.0f} us/criterion)")

    # (4) the Leaf dev corpus, when present
    if args.leaf.is_dir():
        texts = [SourceText(p.read_text(encoding="utf-8"), str(p)) for p in sorted(args.leaf.rglob("*.txt"))]
        seconds, criteria, constraints = timed(parser, texts, assume_inclusion=True)
        print(f"Leaf dev: {len(texts)} texts, {criteria} criteria: {criteria / seconds:,.0f} criteria/s "
              f"({constraints} constraints)")

    # (5) start-up of the command on the seed
    script = Path(sys.executable).with_name("criteria-parser")
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([str(script), "parse", str(SEED)], check=True, capture_output=True)
        runs.append(time.perf_counter() - t0)
    print(f"start-up: `criteria-parser parse` on the seed: best {min(runs):.2f} s of 3")
    print(f"peak memory (this process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
