"""Issue 15, imports: a poison record goes to the errors and the import goes on; archives are streamed under a
size cap; what is not a regular file is skipped; a full disk is one line with nothing half-written.

The reproducers are copies of ``../shared/repro`` in ``tests/fixtures/repro``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from criteria_parser.registry import importer
from criteria_parser.registry.importer import LocalEngine, run_import
from criteria_parser.registry.records import Failure, read_inputs
from criteria_parser.registry.records.sources import count_items
from criteria_parser.registry.store import TRIAL_COLUMNS, Store

REPRO = Path(__file__).parent / "fixtures" / "repro"
STUDY = Path(__file__).parent / "fixtures" / "records" / "NCT90000001.json"


@pytest.fixture(scope="module")
def engine():
    runner = LocalEngine(1)
    yield runner
    runner.close()


def _study(nct_id: str, criteria: str = "Inclusion Criteria:\n* age >= 18 years") -> dict:
    study = json.loads(STUDY.read_text())
    study["protocolSection"]["identificationModule"]["nctId"] = nct_id
    study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = criteria
    return study


def _import_cli(*args: str) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, "-c", "from criteria_parser.cli import main; main()", "import", *args,
                           "--workers", "1", "--quiet"], capture_output=True, text=True, timeout=300)


def _stored(db: Path) -> list[str]:
    with sqlite3.connect(db) as con:
        return [row[0] for row in con.execute("SELECT nct_id FROM trials ORDER BY nct_id")]


def _errors(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return list(con.execute("SELECT record_id, source, reason FROM errors ORDER BY source"))


def test_issue_15_deep_array_is_a_failure_and_the_rest_is_imported(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "deep-array.json").write_bytes((REPRO / "deep-array.json").read_bytes())
    (folder / "good.json").write_text(json.dumps(_study("NCT91000001")))
    (folder / "lines.jsonl").write_text(json.dumps(_study("NCT91000002")) + "\n" + "[" * 5000 + "\n"
                                        + json.dumps(_study("NCT91000003")) + "\n")
    db = tmp_path / "x.db"
    run = _import_cli(str(folder), "--db", str(db))
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert _stored(db) == ["NCT91000001", "NCT91000002", "NCT91000003"]
    reasons = {source.rsplit("/", 1)[-1]: reason for _, source, reason in _errors(db)}
    assert reasons == {"deep-array.json": "invalid JSON: nested too deeply to read",
                       "lines.jsonl:2": "invalid JSON: nested too deeply to read"}
    again = _import_cli(str(folder), "--db", str(db))  # a re-run finishes: nothing left to do
    assert again.returncode == 0 and "imported 0, unchanged 3, failed 2" in again.stderr


def test_issue_15_csv_with_nct_id_only_as_a_substring_is_a_failure(tmp_path):
    db = tmp_path / "x.db"
    run = _import_cli(str(REPRO / "csv-nct-substring.csv"), "--db", str(db))
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert _stored(db) == []
    [(record_id, _, reason)] = _errors(db)
    assert record_id is None and reason == "CSV has no nct_id column (its columns: nct_id_x, criteria)"


def test_fifos_devices_and_sockets_in_a_directory_are_skipped_with_a_warning(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(folder / "fifo")
    (folder / "zero").symlink_to("/dev/zero")
    (folder / "good.json").write_text(json.dumps(_study("NCT91000001")))
    db = tmp_path / "x.db"
    run = _import_cli(str(folder), "--db", str(db))  # before issue 15 this blocked on the FIFO forever
    assert run.returncode == 0, run.stderr
    assert _stored(db) == ["NCT91000001"]
    assert [reason for _, _, reason in _errors(db)] == ["skipped: a FIFO, not a regular file",
                                                        "skipped: a device, not a regular file"]
    assert "skipped: a FIFO, not a regular file" in run.stderr


def test_a_device_named_on_the_command_line_is_refused_and_a_fifo_is_read(tmp_path):
    [zero] = read_inputs(["/dev/zero"])
    assert zero.reason == "skipped: a device, not a regular file"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"cat {STUDY} > {fifo}"])
    [record] = read_inputs([fifo])  # the user's own stream, as from <(zcat x.gz)
    writer.wait(10)
    assert record.id == "NCT90000001"


def _bomb(size: int) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb") as gz:
        block = b"x" * (1 << 20)
        for _ in range(size >> 20):
            gz.write(block)
    return out.getvalue()


def test_an_archive_bomb_is_streamed_under_the_cap_in_bounded_memory(tmp_path):
    """1 GiB of "x" in a 1 MB gzip: read up to the cap, never whole (before issue 15: 7 GB RSS)."""
    bomb = tmp_path / "bomb.txt.gz"
    bomb.write_bytes(_bomb(1 << 30))
    # VmHWM, not ru_maxrss: Linux carries the parent's peak (pytest's, hundreds of MB late in a run) across exec
    code = ("import re, sys; from criteria_parser.registry.records import read_inputs; "
            "items = list(read_inputs([sys.argv[1]], 20_000_000)); print(items[0].reason); "
            "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))")
    run = subprocess.run([sys.executable, "-c", code, str(bomb)], capture_output=True, text=True, timeout=120)
    reason, peak_kb = run.stdout.splitlines()
    assert reason == "more than 20 MB (decompressed): not read (raise the limit with --max-mb)"
    assert int(peak_kb) < 400_000  # the interpreter and its imports, plus the 20 MB cap


def test_archives_in_archives_are_streamed_and_capped_member_by_member(tmp_path):
    study = json.dumps(_study("NCT91000001")).encode()
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w") as tar:
        for name, data in (("a/NCT91000001.json", study), ("a/big.txt", b"y" * 3_000_000)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with zipfile.ZipFile(tmp_path / "nested.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner.tar.gz", gzip.compress(tar_bytes.getvalue()))
        archive.writestr("NCT91000002.json", json.dumps(_study("NCT91000002")))
    items = list(read_inputs([tmp_path / "nested.zip"], max_bytes=2_000_000))
    assert [i.id for i in items if not isinstance(i, Failure)] == ["NCT91000001", "NCT91000002"]
    [failure] = [i for i in items if isinstance(i, Failure)]
    assert failure.source.endswith("nested.zip/inner.tar/a/big.txt") and "more than 2 MB" in failure.reason


def test_the_progress_count_never_decompresses(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(_study("NCT91000001")))
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as archive:
        archive.writestr("x.json", "{}")
        archive.writestr("y.json", "{}")
    assert count_items([tmp_path]) == 3
    (tmp_path / "c.json.gz").write_bytes(gzip.compress(b"{}"))
    assert count_items([tmp_path]) is None  # counting it would decompress it beside the import


def test_issue_15_a_duplicate_whose_kept_copy_fails_is_stored_from_the_other_copy(tmp_path, engine, monkeypatch):
    """The first copy of an id fails to parse: the second copy (different content) is parsed and stored."""
    real = importer.parse_chunk

    def poisoned(records):
        result = real(records)
        for trial in [t for t in result.trials if "POISON" in t.trial[TRIAL_COLUMNS.index("criteria_text")]]:
            result.trials.remove(trial)
            result.failures.append(Failure(trial.nct_id, "first copy", "parser failed: poisoned"))
            result.imported -= 1
        return result

    monkeypatch.setattr(importer, "parse_chunk", poisoned)
    inputs = tmp_path / "studies.jsonl"
    inputs.write_text("".join(json.dumps(s) + "\n" for s in (
        _study("NCT91000001", "Inclusion Criteria:\n* POISON"), _study("NCT91000001"),
        _study("NCT91000002"), _study("NCT91000002", "Inclusion Criteria:\n* age >= 21 years"))))
    with Store(tmp_path / "x.db") as store:
        store.lock()
        summary = run_import([inputs], store, engine)
    assert (summary.imported, summary.failed) == (2, 2)
    reasons = sorted(f.reason.split(":")[0] for f in summary.failures)
    assert reasons == ["duplicate record", "parser failed"]
    texts = dict(sqlite3.connect(tmp_path / "x.db").execute("SELECT nct_id, criteria_text FROM trials"))
    assert texts == {"NCT91000001": "Inclusion Criteria:\n* age >= 18 years",
                     "NCT91000002": "Inclusion Criteria:\n* age >= 18 years"}


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB file system (tmpfs; needs root), unmounted afterwards."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1M", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def _many(path: Path, count: int) -> None:
    """Studies whose criteria hardly compress (so Parquet fills a small disk too)."""
    with path.open("w") as out:
        for number in range(count):
            noise = "".join(hashlib.sha256(f"{number}.{i}".encode()).hexdigest() for i in range(32))
            criteria = f"Inclusion Criteria:\n* age >= 18 years\n* {noise}"
            out.write(json.dumps(_study(f"NCT8{number:07d}", criteria)) + "\n")


@pytest.mark.parametrize("target", ["x.db", "x.jsonl", "x.parquet"])
def test_issue_15_a_full_disk_is_one_line_and_nothing_half_written(tmp_path, small_disk, target):
    inputs = tmp_path / "many.jsonl"
    _many(inputs, 400)
    where = small_disk / target
    run = _import_cli(str(inputs), "--db" if target == "x.db" else "--out", str(where))
    assert run.returncode == 1 and "Traceback" not in run.stderr and "cannot rollback" not in run.stderr
    [line] = run.stderr.splitlines()
    assert line.startswith(f"criteria-parser: {where}: cannot write: ") and "re-run to resume" in line
    if target == "x.db":
        con = sqlite3.connect(where)
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        written = con.execute("SELECT count(*) FROM trials").fetchone()[0]
        assert written == con.execute("SELECT count(DISTINCT nct_id) FROM criteria").fetchone()[0]
    elif target == "x.jsonl":
        data = where.read_bytes()  # renamed into place: whole rows only
        assert data == b"" or data.endswith(b"\n")
        assert all(json.loads(line)["listing"] for line in data.splitlines())
    elif where.exists():  # the batches written before the disk filled (maybe none), put together
        assert pq.read_table(where).num_rows >= 0 and not (small_disk / ".x.parquet.parts").exists()
    else:  # or, with no room to put them together, left for the re-run
        assert list(small_disk.glob(".x.parquet.parts/*.parquet"))
    assert not list(small_disk.glob("**/*.tmp")) and not list(small_disk.glob("**/.*.tmp"))
