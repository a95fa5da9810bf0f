"""How much of real listings `match` answers: met / not met / unknown criteria for one rich patient (on demand).

    .venv/bin/python benchmarks/match_coverage.py [--patient tests/fixtures/match/patient-rich.json]

Parses a few Leaf Clinical Trials texts from ../shared (skipped when absent) plus the team's own listing
tests/fixtures/match/listing-scores.txt, matches the patient against each and counts answers per listing
(every criterion, nested ones included) and the reasons of the unknown ones.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from criteria_parser.parser import Parser
from criteria_parser.match.run import screen_files

ROOT = Path(__file__).resolve().parents[1]
LEAF = ROOT.parent / "shared" / "corpora" / "leaf-dev"
LISTINGS = ["batch9/NCT03860350.txt", "batch1/NCT03863730.txt", "batch6/NCT03866226.txt",
            "batch4/NCT03865875.txt", "batch8/NCT03864900.txt"]


def main() -> None:
    """Print one line per listing and the total."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--patient", type=Path, default=ROOT / "tests" / "fixtures" / "match" / "patient-rich.json")
    options.add_argument("--reasons", action="store_true", help="list the unknown criteria's reasons")
    args = options.parse_args()
    paths = [LEAF / name for name in LISTINGS if (LEAF / name).exists()]
    paths.append(ROOT / "tests" / "fixtures" / "match" / "listing-scores.txt")
    parser = Parser()
    total: Counter = Counter()
    for path in paths:
        result = screen_files(parser.parse_file(path), [args.patient])[0]
        counts = Counter(c.result for c in result.criteria)
        total.update(counts)
        print(f"{path.name:28} met {counts['met']:3}  not met {counts['not met']:3}  unknown {counts['unknown']:3}")
        if args.reasons:
            for c in result.criteria:
                if c.result == "unknown":
                    print(f"    {c.section} {c.label}: {c.text[:70]} | {'; '.join(c.reasons)[:150]}")
    answered = total["met"] + total["not met"]
    print(f"{'total':28} answered {answered} of {answered + total['unknown']}")


if __name__ == "__main__":
    main()
