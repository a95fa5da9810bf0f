"""Start-up: wall and CPU seconds of short commands, beside the floor of a spaCy design, in one run.

    .venv/bin/python benchmarks/bench_startup.py [--runs 5] [--instructions]

Runs, alternating, ``--runs`` times each: ``criteria-parser --version``; ``criteria-parser parse`` of the seed
listing (``corpora/NCT06633354-listing.txt``, written to a file); ``criteria-parser match`` of that parse's
JSON with ``examples/patient-eligible.json``; and the floor, a Python that imports spaCy and builds
``spacy.blank("en")``. Each is a fresh process of the installed console script; CPU is user + system of the
child. Medians are reported, with each command's ratio to the floor taken within a round (load moves both).
``--instructions`` also counts each command's instructions once under callgrind (deterministic; slow: about a
minute for ``parse``). Results, with the machine, the load average and the date, go to
``benchmarks/results/startup-<date>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
SEED = ROOT / "corpora" / "NCT06633354-listing.txt"
PATIENT = ROOT / "examples" / "patient-eligible.json"
TARGETS = {"version": 0.3, "parse": 1.0, "match": 0.5}


def commands(scratch: Path) -> dict[str, list[str]]:
    cli = str(Path(sys.executable).with_name("criteria-parser"))
    parsed = scratch / "seed.json"
    return {
        "floor": [sys.executable, "-c", "import spacy; spacy.blank('en')"],
        "version": [cli, "--version"],
        "parse": [cli, "parse", str(SEED), "-o", str(parsed)],
        "match": [cli, "match", str(parsed), str(PATIENT), "-o", str(scratch / "match.txt")],
    }


def timed(command: list[str]) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": round(wall, 3), "cpu": round(cpu, 3)}


def instructions(command: list[str], scratch: Path) -> int:
    out = scratch / "cg.out"
    real = [os.path.realpath(command[0]) if command[0] == sys.executable else command[0], *command[1:]]
    if real[0] != sys.executable and not real[0].endswith("python"):  # a console script: run it with our Python
        real = [sys.executable, *real]
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *real], check=True,
                   capture_output=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    total = next(int(line.split()[1]) for line in out.read_text(errors="replace").splitlines()
                 if line.startswith(("totals:", "summary:")))
    out.unlink()
    return total


def main() -> None:
    from bench_parse import commit, machine

    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--runs", type=int, default=5)
    options.add_argument("--instructions", action="store_true", help="also count instructions under callgrind")
    args = options.parse_args()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = os.getloadavg()
    runs: dict[str, list[dict]] = {}
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as scratch:
        todo = commands(Path(scratch))
        subprocess.run(todo["parse"], check=True, capture_output=True)  # match reads this parse's JSON
        for _ in range(args.runs):
            for name, command in todo.items():
                runs.setdefault(name, []).append(timed(command))
        if args.instructions:
            counts = {name: instructions(command, Path(scratch)) for name, command in todo.items()}
    load_after = os.getloadavg()
    summary = {}
    for name, measured in runs.items():
        row = {"wall_median": round(statistics.median(m["wall"] for m in measured), 3),
               "wall_range": [min(m["wall"] for m in measured), max(m["wall"] for m in measured)],
               "cpu_median": round(statistics.median(m["cpu"] for m in measured), 3),
               "x_floor_cpu": round(statistics.median(m["cpu"] / f["cpu"] for m, f in zip(measured, runs["floor"])), 2)}
        if name in TARGETS:
            row["target_s"] = TARGETS[name]
        if name in counts:
            row["instructions"] = counts[name]
            row["x_floor_instructions"] = round(counts[name] / counts["floor"], 2)
        summary[name] = row
    result = {"date": started, "commit": commit(), "machine": machine(),
              "load_average_before": [round(x, 2) for x in load_before],
              "load_average_after": [round(x, 2) for x in load_after], "runs": args.runs, "summary": summary,
              "measured": runs}
    out = ROOT / "benchmarks" / "results" / f"startup-{time.strftime('%Y%m%d-%H%M', time.gmtime())}.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"{started}, {result['machine']['cpu']} x{result['machine']['cpus']}, commit {result['commit']}, "
          f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after")
    for name, row in summary.items():
        target = f" (target {row['target_s']} s)" if "target_s" in row else " (import spacy; spacy.blank('en'))"
        extra = f"; {row['instructions']:,} instructions, {row['x_floor_instructions']}x the floor's" \
            if "instructions" in row else ""
        print(f"  {name:8} wall {row['wall_median']:.2f} s ({row['wall_range'][0]:.2f}-{row['wall_range'][1]:.2f}), "
              f"CPU {row['cpu_median']:.2f} s, {row['x_floor_cpu']}x the floor's CPU{extra}{target}")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
