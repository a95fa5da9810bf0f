"""Benchmark ``criteria-parser import``: records/s, criteria/s and peak memory per worker, with 1 and 2 workers.

Builds a batch of ``--records`` studies (default 20,000) by replicating the real
API v2 studies of ../shared/ctgov/ with fresh NCT ids (protocolSection only),
then runs the real command line into a fresh store for each worker count while
sampling the peak resident memory (VmHWM) of the import process and its
workers from /proc, and the CPU time of each process; then times the bare parser
on the distinct studies, the ceiling for one worker. Prints a table and writes it
to benchmarks/results/.

Scaling is given twice: by the clock, and by the CPU time of the busiest process
(records per CPU second of the process that sets the pace: with 1 worker the
only one, with 2 the busier worker or the main process, which reads, hashes and
writes). The second is what an idle machine with a core per process gives, and
other jobs on the machine move it little; the first is what this run got.

    .venv/bin/python benchmarks/import_benchmark.py [--records 20000] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CTGOV = ROOT.parent / "shared" / "ctgov" / "v2-json"


def build_batch(path: Path, size: int) -> int:
    """Write ``size`` studies as JSON Lines with fresh ids; return how many distinct real studies were used."""
    studies = {}
    for file in sorted(CTGOV.rglob("*.json")):
        data = json.loads(file.read_text())
        for study in data if isinstance(data, list) else [data]:
            protocol = study.get("protocolSection", {})
            nct = protocol.get("identificationModule", {}).get("nctId")
            if nct and protocol.get("eligibilityModule", {}).get("eligibilityCriteria"):
                studies[nct] = {"protocolSection": protocol}
    originals = list(studies.values())
    with path.open("w") as out:
        for number in range(size):
            study = originals[number % len(originals)]
            study["protocolSection"]["identificationModule"]["nctId"] = f"NCT7{number:07d}"
            out.write(json.dumps(study) + "\n")
    return len(originals)


def _peak_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (``/proc/PID/stat``), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(p) for p in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def run(batch: Path, workers: int, folder: Path) -> dict:
    """Import the batch with ``workers`` processes into a fresh store; measure time and memory."""
    db = folder / f"bench-{workers}.db"
    command = [sys.executable, "-c", "from criteria_parser.cli import main; main()", "import", str(batch),
               "--db", str(db), "--workers", str(workers), "--quiet"]
    started = time.monotonic()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    peaks: dict[int, int] = {}
    cpu: dict[int, float] = {}  # the last CPU time seen of each process (a worker's last 0.2 s may be missed)
    while process.poll() is None:
        for pid in [process.pid, *_children(process.pid)]:
            peaks[pid] = max(peaks.get(pid, 0), _peak_kb(pid))
            cpu[pid] = max(cpu.get(pid, 0.0), _cpu_seconds(pid))
        time.sleep(0.2)
    seconds = time.monotonic() - started
    summary = process.stderr.read().strip().splitlines()[0]
    if process.returncode != 0:
        raise SystemExit(f"import failed: {summary}")
    con = sqlite3.connect(db)
    records = con.execute("SELECT count(*) FROM trials").fetchone()[0]
    criteria = con.execute("SELECT count(*) FROM criteria").fetchone()[0]
    main = peaks.pop(process.pid, 0)
    worker_peaks = list(peaks.values()) or [main]  # one worker parses in the main process
    main_cpu = cpu.pop(process.pid, 0.0)
    busiest = max([main_cpu, *cpu.values()])
    return {
        "workers": workers, "records": records, "criteria": criteria, "seconds": round(seconds, 1),
        "records_per_s": round(records / seconds, 1), "criteria_per_s": round(criteria / seconds, 1),
        "peak_mb_per_worker": round(max(worker_peaks) / 1024), "peak_mb_main": round(main / 1024),
        "cpu_seconds_main": round(main_cpu, 1), "cpu_seconds_workers": [round(c, 1) for c in cpu.values()],
        # what one core would do per second if each process had its own core: the busiest process sets the pace
        "records_per_busiest_cpu_s": round(records / busiest, 1) if busiest else None,
        "summary": summary,
    }


def parser_only(batch: Path, count: int) -> float:
    """Records/s of the bare parser (one process, no reading or writing) on the first ``count`` records."""
    from criteria_parser.parser import Parser
    from criteria_parser.registry.records import Record, read_inputs
    from criteria_parser.registry.records.markdown import unescape
    from criteria_parser.document.source import SourceText

    records = [r for r, _ in zip(read_inputs([batch]), range(count)) if isinstance(r, Record)]
    parser = Parser()
    started = time.monotonic()
    for record in records:
        try:
            parser.parse_source(SourceText(unescape(record.text)[0], record.source), assume_inclusion=True)
        except Exception:  # noqa: BLE001 - the import reports these; here only time counts
            pass
    return round(len(records) / (time.monotonic() - started), 1)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--records", type=int, default=20000)
    options.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = options.parse_args()
    if not CTGOV.is_dir():
        raise SystemExit(f"{CTGOV}: not found; the benchmark replicates those records")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        batch = folder / "batch.jsonl"
        distinct = build_batch(batch, args.records)
        load = os.getloadavg()[0]
        results = [run(batch, workers, folder) for workers in args.workers]
        bare = parser_only(batch, distinct)
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": platform.platform(),
        "cpus": os.cpu_count(), "load_average_before": round(load, 2),
        "load_average_after": round(os.getloadavg()[0], 2), "batch_records": args.records,
        "distinct_studies": distinct, "parser_only_records_per_s": bare, "runs": results,
    }
    if len(results) > 1:
        report["scaling"] = round(results[-1]["records_per_s"] / results[0]["records_per_s"], 2)
        report["scaling_by_cpu"] = round(results[-1]["records_per_busiest_cpu_s"] / results[0]["records_per_busiest_cpu_s"], 2)
    out = ROOT / "benchmarks" / "results" / f"import-{time.strftime('%Y%m%d-%H%M')}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    for r in results:
        print(f"workers {r['workers']}: {r['records']} records in {r['seconds']} s = {r['records_per_s']} records/s, "
              f"{r['criteria_per_s']} criteria/s, peak {r['peak_mb_per_worker']} MB per worker "
              f"(main {r['peak_mb_main']} MB); CPU s: main {r['cpu_seconds_main']}, workers {r['cpu_seconds_workers']}")
    if "scaling" in report:
        print(f"scaling 1 -> {results[-1]['workers']} workers: {report['scaling']}x by the clock, "
              f"{report['scaling_by_cpu']}x by the busiest process's CPU time (what an idle machine gives, "
              f"each process on a core of its own); load average before: {load:.2f}, after: {os.getloadavg()[0]:.2f}")
    print(f"bare parser, one process, {distinct} distinct studies: {bare} records/s")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
