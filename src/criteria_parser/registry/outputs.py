"""Write an import to files instead of the store: JSON Lines or Parquet, plus an errors file.

While the import runs, every batch is made durable (written and fsynced) beside the target: JSON Lines are
appended to ``.<name>.partial``, Parquet batches become files in ``.<name>.parts/``, failures go to
``.<name>.errors.jsonl.partial``. When the import ends (also on Ctrl-C, SIGTERM or a dead worker) the
previous file's other trials are added and the result is renamed into place, so a reader never sees a
half-written file. After kill -9 (or a power cut) the batches stay; the next import into the same file
resumes from them: what they hold is not parsed again, a half-written last line is cut off, and temporary
files of the dead run are removed. A write that fails (a full disk) is undone to the last whole batch and
reported as one line. A re-run also resumes like the store does: trials of the previous file whose text and
parser version are unchanged are skipped and copied over. Parquet (through pyarrow) has one row per trial
with nested ``criteria``, ``constraints`` and ``entities`` lists and the model as JSON in ``listing``; DuckDB,
Polars and Spark read it. Failures go to ``<out>.errors.jsonl``. Two imports into one file at once are refused.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Iterator, Optional, Union

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..document.atomic import replacing_mode
from ..errors import CriteriaParserError
from ..export.flat import ENTITY_COLUMNS, FLAT_COLUMNS
from .lock import take_import_lock
from .records import Failure
from .store import CRITERIA_COLUMNS, TRIAL_COLUMNS, ParsedTrial

_JSON_COLUMNS = ("conditions", "std_ages")
_CONSTRAINT_FIELDS = [c for c in FLAT_COLUMNS if c not in ("source", "nct_id")]
_FLOATS = {"value", "value_high"}
_INTS = {"group", "start", "end", "subject_start", "subject_end"}


def _field(name: str) -> pa.Field:
    if name in _JSON_COLUMNS:
        return pa.field(name, pa.list_(pa.string()))
    if name in _FLOATS:
        return pa.field(name, pa.float64())
    if name in _INTS:
        return pa.field(name, pa.int64())
    if name in ("healthy_volunteers", "structured", "open_subject"):
        return pa.field(name, pa.bool_())
    return pa.field(name, pa.string())


SCHEMA = pa.schema([
    *(_field(c) for c in TRIAL_COLUMNS),
    pa.field("criteria", pa.list_(pa.struct([_field(c) for c in CRITERIA_COLUMNS[1:]]))),
    pa.field("constraints", pa.list_(pa.struct([_field(c) for c in (*_CONSTRAINT_FIELDS, "structured")]))),
    pa.field("entities", pa.list_(pa.struct([_field(c) for c in ENTITY_COLUMNS]))),
])


def parquet_table(trials: list[ParsedTrial]) -> pa.Table:
    """The trials as an Arrow table of :data:`SCHEMA`."""
    rows = []
    for trial in trials:
        row = dict(zip(TRIAL_COLUMNS, trial.trial))
        for column in _JSON_COLUMNS:
            row[column] = json.loads(row[column])
        row["criteria"] = [dict(zip(CRITERIA_COLUMNS[1:], c[1:])) for c in trial.criteria]
        row["constraints"] = [
            {k: v for k, v in zip((*FLAT_COLUMNS, "structured"), c) if k not in ("source", "nct_id")}
            for c in trial.constraints
        ]
        row["entities"] = [dict(zip(ENTITY_COLUMNS, e[1:])) for e in trial.entities]
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def jsonl_line(trial: ParsedTrial) -> str:
    """One trial as a JSON line: the trial columns, with the model under ``listing``."""
    row = dict(zip(TRIAL_COLUMNS, trial.trial))
    listing = row.pop("listing")
    for column in _JSON_COLUMNS:
        row[column] = json.loads(row[column])
    return json.dumps(row, ensure_ascii=False)[:-1] + ', "listing": ' + listing + "}\n"


def failure_line(failure: Failure, parser_version: Optional[str]) -> str:
    """One failure as a JSON line."""
    return json.dumps({"record_id": failure.id, "source": failure.source, "reason": failure.reason,
                       "parser_version": parser_version}, ensure_ascii=False) + "\n"


def _cannot_write(path: Path, exc: OSError) -> CriteriaParserError:
    return CriteriaParserError(f"cannot write: {exc.strerror or exc}", path)


def _row(line: str) -> dict:
    """A JSON line as a dict ({} when it is not one)."""
    try:
        row = json.loads(line)
    except (ValueError, RecursionError):
        return {}
    return row if isinstance(row, dict) else {}


def _fsync_directory(directory: Path) -> None:
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


class AppendFile:
    """A file of lines appended in durable batches: a batch is whole on disk, or (a write failed) undone."""

    def __init__(self, path: Path, mode: int) -> None:
        self.path = path
        self.file: IO = open(path, "a+b")
        os.fchmod(self.file.fileno(), mode)
        self.file.seek(0)
        data = self.file.read()
        self.whole = data.rfind(b"\n") + 1  # a dead run's half-written last line is cut off
        self.file.truncate(self.whole)
        self.lines = data[:self.whole].decode("utf-8", errors="replace").splitlines()

    def append(self, lines: list[str]) -> None:
        """Append ``lines`` and fsync them; on a failure, cut the file back to its last whole batch."""
        try:
            self.file.seek(0, os.SEEK_END)
            self.file.write("".join(lines).encode("utf-8"))
            self.file.flush()
            os.fsync(self.file.fileno())
        except OSError:
            self.undo()
            raise
        self.whole = self.file.tell()

    def undo(self) -> None:
        """Cut the file back to its last whole batch (as far as the disk still lets us)."""
        try:
            self.file.seek(self.whole)
            self.file.truncate(self.whole)
        except OSError:  # a write not yet flushed fails again here; the next run cuts it off instead
            pass

    def close(self) -> None:
        try:
            self.file.close()
        except OSError:
            pass  # nothing of it is unflushed but a batch that already failed


class PendingFile:
    """A file written under a temporary name and renamed into place by :meth:`commit`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        handle, self.temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.fchmod(handle, replacing_mode(path))
        self.file: IO = os.fdopen(handle, "w", encoding="utf-8")

    def commit(self) -> None:
        if not self.file.closed:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
        os.replace(self.temporary, self.path)

    def discard(self) -> None:
        try:
            self.file.close()
        except OSError:
            pass
        Path(self.temporary).unlink(missing_ok=True)


class FileOutput:
    """An import's sink writing ``.jsonl`` or ``.parquet`` (by the suffix of ``path``)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.parquet = self.path.suffix.lower() == ".parquet"
        self._errors_path = self.path.with_name(self.path.name + ".errors.jsonl")
        self.lock = take_import_lock(self.path, "output file", "wait for it to finish or give another --out")
        try:
            self._remove_temporary_files()  # of dead runs: no other import holds the lock
            self._known = self._read_known()
            mode = replacing_mode(self.path)
            self._errors = AppendFile(self._partial(self._errors_path), replacing_mode(self._errors_path))
            if self.parquet:
                self._data, self._parts = None, self.path.with_name(f".{self.path.name}.parts")
                self._parts.mkdir(exist_ok=True)
                os.chmod(self._parts, 0o700)
                self._parts_mode = mode
            else:
                self._data, self._parts = AppendFile(self._partial(self.path), mode), None
        except BaseException:
            self.lock.release()
            raise
        self._trials: dict[str, tuple[str, str]] = self._resumed()  # trials this import (or a dead one) wrote
        self._known.update(self._trials)
        self._failed = {row.get("source") for row in map(_row, self._errors.lines)}

    @staticmethod
    def _partial(path: Path) -> Path:
        return path.with_name(f".{path.name}.partial")

    def _remove_temporary_files(self) -> None:
        for name in (self.path.name, self._errors_path.name):
            for stray in self.path.parent.glob(f".{glob.escape(name)}.*.tmp"):
                stray.unlink(missing_ok=True)
        parts = self.path.with_name(f".{self.path.name}.parts")
        for stray in parts.glob("*.tmp") if parts.is_dir() else ():
            stray.unlink(missing_ok=True)

    def _resumed(self) -> dict[str, tuple[str, str]]:
        """``nct_id -> (text_hash, parser_version)`` of the trials a dead import already wrote here."""
        if self._data is not None:
            rows = [_row(line) for line in self._data.lines]
            return {row["nct_id"]: (row.get("text_hash"), row.get("parser_version")) for row in rows if "nct_id" in row}
        found = {}
        for part in sorted(self._parts.glob("*.parquet")):
            table = pq.read_table(part, columns=["nct_id", "text_hash", "parser_version"])
            found.update((r["nct_id"], (r["text_hash"], r["parser_version"])) for r in table.to_pylist())
        return found

    def known(self) -> dict[str, tuple[str, str]]:
        """``nct_id -> (text_hash, parser_version)`` of the trials in the file a previous import wrote here,
        and of those a killed import had already written."""
        return self._known

    def _read_known(self) -> dict[str, tuple[str, str]]:
        if not self.path.exists():
            return {}
        if self.parquet:
            try:
                table = pq.read_table(self.path, columns=["nct_id", "text_hash", "parser_version"])
            except (pa.ArrowException, OSError) as exc:
                raise CriteriaParserError(f"cannot resume from this file: {exc}", self.path) from None
            return {row["nct_id"]: (row["text_hash"], row["parser_version"]) for row in table.to_pylist()}
        return {row["nct_id"]: (row["text_hash"], row["parser_version"]) for row in self._previous_rows()}

    def write(self, batch: list[Union[ParsedTrial, Failure]], parser_version: Optional[str]) -> None:
        """Append trials and failures, durably: after a failed write (a full disk) nothing of it is kept."""
        trials = [t for t in batch if isinstance(t, ParsedTrial)]
        failures = [f for f in batch if isinstance(f, Failure)]
        try:
            if trials:
                self._write_trials(trials)
            self._errors.append([failure_line(f, parser_version) for f in failures])
        except OSError as exc:
            raise _cannot_write(self.path, exc) from None
        self._trials.update((t.nct_id, (t.trial[TRIAL_COLUMNS.index("text_hash")], t.trial[TRIAL_COLUMNS.index(
            "parser_version")])) for t in trials)
        self._failed.update(f.source for f in failures)

    def _write_trials(self, trials: list[ParsedTrial]) -> None:
        if self._data is not None:
            self._data.append([jsonl_line(t) for t in trials])
            return
        part = self._parts / f"{len(list(self._parts.glob('*.parquet'))):07d}.parquet"
        temporary = part.with_suffix(".tmp")
        try:
            with open(temporary, "wb") as handle:
                pq.write_table(parquet_table(trials), handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, part)
            _fsync_directory(self._parts)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def close(self, complete: bool = True) -> None:
        """Add the previous file's other trials and errors, and rename both files into place.

        After an interruption (``complete`` false) what was written is kept too, so a re-run resumes. When
        that fails (a full disk), the previous files stay as they were and the batches stay for a re-run.
        """
        try:
            self._errors.append(list(self._previous_errors()))
            if self._data is not None:
                self._data.append(list(self._previous_lines()))
                self._data.close()
                os.replace(self._data.path, self.path)
            else:
                self._finish_parquet()
            self._errors.close()
            os.replace(self._errors.path, self._errors_path)
        except OSError as exc:
            raise _cannot_write(self.path, exc) from None
        finally:
            self._errors.close()
            if self._data is not None:
                self._data.close()
            self.lock.release()

    def _previous_errors(self) -> Iterator[str]:
        """The previous failures this import did not replace: unless it parsed that record or failed on the
        same source (as the store keeps them)."""
        if not self._errors_path.exists():
            return
        with self._errors_path.open(encoding="utf-8") as previous:
            for line in previous:
                row = _row(line)
                if row.get("record_id") not in self._trials and row.get("source") not in self._failed:
                    yield line

    def _previous_lines(self) -> Iterator[str]:
        """The previous JSON Lines file's trials this import did not write."""
        if self.path.exists():
            with self.path.open(encoding="utf-8") as previous:
                yield from (line for line in previous if json.loads(line)["nct_id"] not in self._trials)

    def _finish_parquet(self) -> None:
        """One Parquet file of every batch and the previous file's other trials, renamed into place."""
        pending = PendingFile(self.path)
        pending.file.close()
        try:
            with pq.ParquetWriter(pending.temporary, SCHEMA) as writer:
                for part in sorted(self._parts.glob("*.parquet")):
                    writer.write_table(pq.read_table(part).cast(SCHEMA))
                if self.path.exists():
                    done = pa.array(sorted(self._trials), pa.string())
                    for batch in pq.ParquetFile(self.path).iter_batches():
                        kept = batch.filter(pc.invert(pc.is_in(batch.column("nct_id"), value_set=done)))
                        if kept.num_rows:
                            writer.write_table(pa.Table.from_batches([kept]).cast(SCHEMA))
            with open(pending.temporary, "rb+") as handle:
                os.fsync(handle.fileno())
            os.chmod(pending.temporary, self._parts_mode)
            pending.commit()
        except BaseException:
            pending.discard()
            raise
        shutil.rmtree(self._parts)

    def _previous_rows(self) -> Iterator[dict]:
        """The rows of the previous JSON Lines file, checked."""
        with self.path.open(encoding="utf-8") as previous:
            for number, line in enumerate(previous, 1):
                try:
                    row = json.loads(line)
                    yield {key: row[key] for key in ("nct_id", "text_hash", "parser_version")}
                except (json.JSONDecodeError, KeyError, TypeError):
                    raise CriteriaParserError("cannot resume from this file: not a trial row of criteria-parser import",
                                              self.path, number) from None
