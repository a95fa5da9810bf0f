"""Benchmark: patients matched per second, built-in and through the JsonLogic export (run on demand).

    .venv/bin/python benchmarks/bench_match.py [--patients 2000]

Parses the seed listing once, then on one core (CPU time): (1) compiling its checks, (2) reading the example
patients' facts and evaluating them with the built-in evaluator, (3) evaluating the exported JsonLogic rules with
panzi-json-logic on the same facts, (4) start-up of `criteria-parser match` on the seed and one patient.
"""

from __future__ import annotations

import argparse
import itertools
import platform
import subprocess
import sys
import time
from pathlib import Path

from json_logic import jsonLogic

from criteria_parser.match.compiler import compile_listing
from criteria_parser.export.jsonlogic import export_jsonlogic
from criteria_parser.match.facts import build_facts
from criteria_parser.grammar.loader import load_grammars
from criteria_parser.match.screen import assess
from criteria_parser.grammar.matching import load_matching_grammar
from criteria_parser.parser import Parser
from criteria_parser.match.patients import load_patient

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpora" / "NCT06633354-listing.txt"


def cpu(work) -> float:
    """CPU seconds ``work()`` takes in this process."""
    start = time.process_time()
    work()
    return time.process_time() - start


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--patients", type=int, default=2000)
    args = options.parse_args()
    listing = Parser().parse_file(SEED)
    grammars, matching = load_grammars(), load_matching_grammar()
    patients = [load_patient(p) for p in sorted((ROOT / "examples").glob("patient-*.json"))]
    batch = list(itertools.islice(itertools.cycle(patients), args.patients))
    compile_seconds = cpu(lambda: [compile_listing(listing, grammars, matching) for _ in range(100)]) / 100
    plan = compile_listing(listing, grammars, matching)
    rules = export_jsonlogic(plan)
    facts = [build_facts(p, plan, grammars, matching) for p in batch]
    facts_seconds = cpu(lambda: [build_facts(p, plan, grammars, matching) for p in batch])
    builtin_seconds = cpu(lambda: [assess(plan, f, matching, "p", "d") for f in facts])
    jsonlogic_seconds = cpu(lambda: [jsonLogic(rules["listing"], f.data) for f in facts])
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "criteria-parser"), "match", str(SEED),
                    str(ROOT / "examples" / "patient-eligible.json")], check=True, capture_output=True)
    startup = time.perf_counter() - start
    print(f"machine: {platform.machine()}, {platform.python_version()}, {platform.platform()}")
    print(f"compile the seed's checks: {compile_seconds * 1000:.2f} ms")
    print(f"facts of {len(batch)} patients: {len(batch) / facts_seconds:,.0f} patients/s")
    print(f"built-in evaluation: {len(batch) / builtin_seconds:,.0f} patients/s "
          f"({len(plan.criteria)} criteria each)")
    print(f"JsonLogic export under panzi-json-logic (listing rule): {len(batch) / jsonlogic_seconds:,.0f} patients/s")
    print(f"start-up of `criteria-parser match` (parse + match, wall): {startup:.2f} s")


if __name__ == "__main__":
    main()
