"""Killing a real import process mid-run leaves a consistent store, and a re-run completes it.

While it runs, a second import into the same store is refused.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import Future
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from criteria_parser.cli import app
from criteria_parser.errors import CriteriaParserError
from criteria_parser.registry.importer import LocalEngine, _Future
from criteria_parser.model import Listing
from criteria_parser.registry.records import read_inputs

FIXTURE = Path(__file__).parent / "fixtures" / "records" / "NCT90000001.json"
RECORDS = 5000  # several seconds of work on two cores, so the kill lands mid-run


def _batch(path: Path, records: int = RECORDS) -> None:
    study = json.loads(FIXTURE.read_text())
    with path.open("w") as out:
        for number in range(records):
            study["protocolSection"]["identificationModule"]["nctId"] = f"NCT8{number:07d}"
            module = study["protocolSection"]["eligibilityModule"]
            module["eligibilityCriteria"] = module["eligibilityCriteria"].replace(
                "within 4 weeks", f"within {number % 9 + 1} weeks")
            out.write(json.dumps(study) + "\n")


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            return con.execute("SELECT count(*) FROM trials").fetchone()[0]
    except sqlite3.Error:
        return 0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def _living(pids: list[int]) -> list[int]:
    found = []
    for pid in pids:
        try:
            if "zombie" not in Path(f"/proc/{pid}/status").read_text():
                found.append(pid)
        except FileNotFoundError:
            pass
    return found


def _import(batch: Path, db: Path) -> subprocess.Popen:
    command = [sys.executable, "-c", "from criteria_parser.cli import main; main()", "import", str(batch), "--db", str(db),
               "--workers", "2", "--quiet"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc to find worker processes")
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_import_leaves_whole_trials_and_resumes(tmp_path, signum):
    batch, db = tmp_path / "batch.jsonl", tmp_path / "trials.db"
    _batch(batch)
    process = _import(batch, db)
    deadline = time.monotonic() + 120
    while _count(db) < 20 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the import ended before it could be killed"
    second = CliRunner().invoke(app, ["import", str(batch), "--db", str(db), "--quiet"])
    assert second.exit_code == 2 and f"pid {process.pid}) is writing to this store" in second.output
    workers = _children(process.pid)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    if signum == signal.SIGTERM:
        assert process.returncode == 130 and "interrupted" in stderr and "Traceback" not in stderr
    else:
        assert process.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30  # orphaned workers notice their parent is gone within a second or so
    while _living(workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _living(workers)

    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    committed = con.execute("SELECT count(*) FROM trials").fetchone()[0]
    assert 0 < committed < RECORDS
    for nct_id, listing_json in con.execute("SELECT nct_id, listing FROM trials"):
        listing = Listing.model_validate_json(listing_json)
        stored = con.execute("SELECT count(*) FROM constraints WHERE nct_id = ?", (nct_id,)).fetchone()[0]
        criteria = con.execute("SELECT count(*) FROM criteria WHERE nct_id = ?", (nct_id,)).fetchone()[0]
        assert (stored, criteria) == (len(list(listing.constraints())), len(list(listing.walk())))
    con.close()
    if signum == signal.SIGTERM:
        return  # resuming is the same after either signal; test it once

    rerun = _import(batch, db)
    _, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr
    assert f"imported {RECORDS - committed}, unchanged {committed}, failed 0" in stderr
    assert _count(db) == RECORDS


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc to find worker processes")
def test_a_dead_worker_ends_the_import_with_a_clear_message(tmp_path):
    batch, db = tmp_path / "batch.jsonl", tmp_path / "trials.db"
    _batch(batch)
    process = _import(batch, db)
    while _count(db) < 20 and process.poll() is None:
        time.sleep(0.05)
    os.kill(_children(process.pid)[0], signal.SIGKILL)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1 and "a parser process died" in stderr and "Traceback" not in stderr
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def _engine_and_workers() -> tuple[LocalEngine, list]:
    """A two-worker engine and its worker processes, told apart from any other child of this process."""
    before = set(multiprocessing.active_children())
    engine = LocalEngine(2)
    workers = [p for p in multiprocessing.active_children() if p not in before]
    assert len(workers) == 2
    return engine, workers


def test_a_dead_worker_is_reported_both_when_collecting_and_when_submitting():
    """The pool notices a dead worker at some moment: a chunk in flight and every later submission fail alike."""
    chunk = list(read_inputs([FIXTURE]))
    engine, workers = _engine_and_workers()
    try:
        for process in workers:
            os.kill(process.pid, signal.SIGKILL)
        with pytest.raises(CriteriaParserError, match="a parser process died"):
            engine.submit(chunk).get()
        with pytest.raises(CriteriaParserError, match="a parser process died"):
            engine.submit(chunk)  # the pool is broken by now: submitting itself fails
    finally:
        engine.close(complete=False)


def test_a_result_that_never_arrives_from_a_dead_worker_does_not_hang_the_import():
    """A worker killed while sending its result leaves the executor waiting forever; our wait notices the death."""
    engine, workers = _engine_and_workers()
    try:
        engine.submit(list(read_inputs([FIXTURE]))).get()  # the workers are up
        os.kill(workers[0].pid, signal.SIGKILL)
        with pytest.raises(CriteriaParserError, match="a parser process died"):
            _Future(Future(), engine._worker_died).get()  # a result that will never come
    finally:
        engine.close(complete=False)


def test_a_worker_started_after_its_parent_died_ends_itself():
    """A worker still loading its parser when the import is killed must not live on holding the import's pipes."""
    code = ("import time; from criteria_parser.registry.importer import load_worker; "
            "load_worker(None, 1); time.sleep(60)")  # pid 1 stands for the import: not this process's parent
    finished = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=50)
    assert finished.returncode == 1 and "Traceback" not in finished.stderr, finished.stderr


OUT_RECORDS = 1200


def _written_rows(out: Path) -> int:
    """Rows the running import has made durable so far (its partial file, or its Parquet parts)."""
    if out.suffix == ".jsonl":
        partial = out.with_name(f".{out.name}.partial")
        return partial.read_bytes().count(b"\n") if partial.exists() else 0
    parts = out.with_name(f".{out.name}.parts")
    return sum(pq.ParquetFile(part).metadata.num_rows for part in parts.glob("*.parquet")) if parts.is_dir() else 0


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc to find worker processes")
@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_kill_9_loop_over_out_keeps_what_was_written_and_leaves_no_stray_files(tmp_path, suffix):
    """Issue 15: every kill -9 keeps the batches written so far; the re-run resumes from them and cleans up."""
    batch, out = tmp_path / "batch.jsonl", tmp_path / "out" / f"parsed{suffix}"
    out.parent.mkdir()
    _batch(batch, OUT_RECORDS)
    command = [sys.executable, "-c", "from criteria_parser.cli import main; main()", "import", str(batch),
               "--out", str(out), "--workers", "2", "--quiet"]
    kept = 0
    for kill in range(3):
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while _written_rows(out) < kept + 20 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert process.poll() is None, "the import ended before it could be killed"
        workers = _children(process.pid)
        process.kill()
        process.communicate(timeout=60)
        assert _written_rows(out) > kept  # each run adds to what the dead ones wrote
        kept = _written_rows(out)
        deadline = time.monotonic() + 30
        while _living(workers) and time.monotonic() < deadline:
            time.sleep(0.2)
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    resumed = int(re.search(r"unchanged (\d+)", rerun.stderr).group(1))
    assert resumed >= kept and f"imported {OUT_RECORDS - resumed}, unchanged {resumed}, failed 0" in rerun.stderr
    assert sorted(p.name for p in out.parent.iterdir()) == sorted([out.name, f"{out.name}.errors.jsonl"])
    if suffix == ".jsonl":
        ids = [json.loads(line)["nct_id"] for line in out.read_text().splitlines()]
    else:
        ids = pq.read_table(out, columns=["nct_id"]).column("nct_id").to_pylist()
    assert sorted(ids) == sorted(f"NCT8{n:07d}" for n in range(OUT_RECORDS))
