"""Benchmark: seconds per MB and peak memory of ``criteria-parser parse`` on normal and adversarial text (issue 15).

    .venv/bin/python benchmarks/bench_scaling.py [--sizes 1 2 4 8] [--out benchmarks/results/scaling-DATE.json]

Each size is one listing file of that many MB, parsed by a fresh ``criteria-parser parse --max-mb`` process (so
its peak RSS is its own, from ``wait4``): *normal* repeats the seed listing's criteria; *adversarial* repeats
the reproducers' worst constructions (a run of "(", a line of spaces, a long token, "except" and numbers
packed into criteria over the pipeline's cap, deep nesting). Time per MB that stays flat across sizes is
linear. CPU seconds, not wall time, so other work on the machine counts less; the machine, its load and the
date go in the results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpora" / "NCT06633354-listing.txt"
MB = 1_000_000


def normal(size: int) -> str:
    text = SEED.read_text(encoding="utf-8")
    block = text[text.index("Inclusion Criteria:"):text.index("Study details")]
    return (block * (size // len(block) + 1))[:size]


_ADVERSARIAL = [
    "1. age " + "(" * 6000 + "\n",
    "2. age" + " " * 64000 + "> 18\n",
    "3. dose " + "a" * 20000 + " 5 mg\n",
    "4. " + "ALT < 3 x ULN except stroke " * 2000 + "\n",
    "5. " + "1 " * 20000 + "\n",
    "6. creatinine < 2,3.7 mg/dL and 10 μg/d and 5 " + "mg/" * 500 + "\n",
    "".join("  " * i + "1. item 5 mg\n" for i in range(300)),
]


def adversarial(size: int) -> str:
    block = "Inclusion Criteria:\n" + "".join(_ADVERSARIAL)
    return (block * (size // len(block) + 1))[:size]


def run(path: Path, size: int) -> dict:
    command = [sys.executable, "-c", "from criteria_parser.cli import main; main()", "parse", str(path),
               "--max-mb", str(size / MB + 1), "--format", "flat", "--output", os.devnull]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    stderr = process.stderr.read().decode()
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{path}: parse failed: {stderr[-500:]}")
    return {"cpu_s": round(usage.ru_utime + usage.ru_stime, 2), "wall_s": round(wall, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--sizes", type=float, nargs="+", default=[1, 2, 4, 8], help="sizes in MB")
    options.add_argument("--out", type=Path, default=None, help="write the results here as JSON")
    args = options.parse_args()
    work = Path(os.environ.get("TMPDIR", "/tmp")) / f"cp-scaling-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    startup = run(_write(work / "empty.txt", "Inclusion Criteria:\n1. age > 18\n"), 100)
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": _machine(),
               "load_before": os.getloadavg(), "startup": startup, "runs": []}
    print(f"start-up: {startup['cpu_s']} s CPU, {startup['peak_rss_mb']} MB", flush=True)
    for kind, make in (("normal", normal), ("adversarial", adversarial)):
        for megabytes in args.sizes:
            size = int(megabytes * MB)
            measured = run(_write(work / f"{kind}-{megabytes}.txt", make(size)), size)
            per_mb = (measured["cpu_s"] - startup["cpu_s"]) / megabytes
            row = {"kind": kind, "mb": megabytes, **measured, "cpu_s_per_mb": round(per_mb, 2)}
            results["runs"].append(row)
            print(f"{kind:12s} {megabytes:4g} MB  {measured['cpu_s']:7.1f} s CPU  {per_mb:6.1f} s/MB  "
                  f"{measured['peak_rss_mb']:7.1f} MB peak", flush=True)
    results["load_after"] = os.getloadavg()
    for file in work.iterdir():
        file.unlink()
    work.rmdir()
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


if __name__ == "__main__":
    main()
