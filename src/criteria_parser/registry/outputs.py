"""Write an import to files instead of the store: JSON Lines or Parquet, plus an errors file.

Both are written to a temporary file beside the target and renamed into place when the import ends, so a
reader never sees a half-written file. A re-run into the same file resumes like the store does: trials of the
previous file whose text and parser version are unchanged are skipped by the import and copied over, and an
interrupted import (Ctrl-C, SIGTERM, a dead worker) still renames what it wrote, every row a whole trial,
together with the previous file's other trials. Parquet (through pyarrow) has one row per trial with nested
``criteria`` and ``constraints`` lists and the model as JSON in ``listing``; DuckDB, Polars and Spark read it.
Failures go to ``<out>.errors.jsonl``. Two imports into one file at once are refused.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator, Optional, Union

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..document.atomic import replacing_mode
from ..errors import CriteriaParserError
from ..export.flat import FLAT_COLUMNS
from .lock import take_import_lock
from .records import Failure
from .store import CRITERIA_COLUMNS, TRIAL_COLUMNS, ParsedTrial

_JSON_COLUMNS = ("conditions", "std_ages")
_CONSTRAINT_FIELDS = [c for c in FLAT_COLUMNS if c not in ("source", "nct_id")]
_FLOATS = {"value", "value_high"}
_INTS = {"group", "start", "end"}


def _field(name: str) -> pa.Field:
    if name in _JSON_COLUMNS:
        return pa.field(name, pa.list_(pa.string()))
    if name in _FLOATS:
        return pa.field(name, pa.float64())
    if name in _INTS:
        return pa.field(name, pa.int64())
    if name in ("healthy_volunteers", "structured"):
        return pa.field(name, pa.bool_())
    return pa.field(name, pa.string())


SCHEMA = pa.schema([
    *(_field(c) for c in TRIAL_COLUMNS),
    pa.field("criteria", pa.list_(pa.struct([_field(c) for c in CRITERIA_COLUMNS[1:]]))),
    pa.field("constraints", pa.list_(pa.struct([_field(c) for c in (*_CONSTRAINT_FIELDS, "structured")]))),
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
        self.file.close()
        Path(self.temporary).unlink(missing_ok=True)


class FileOutput:
    """An import's sink writing ``.jsonl`` or ``.parquet`` (by the suffix of ``path``)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.parquet = self.path.suffix.lower() == ".parquet"
        self._errors_path = self.path.with_name(self.path.name + ".errors.jsonl")
        self.lock = take_import_lock(self.path, "output file", "wait for it to finish or give another --out")
        try:
            self._known = self._read_known()
        except CriteriaParserError:
            self.lock.release()
            raise
        self._data = PendingFile(self.path)
        self._errors = PendingFile(self._errors_path)
        self._writer = None
        self._whole = True  # False while a write is under way: a write that raised may have left half a row
        self._trials: set[str] = set()  # ids of the trials this import wrote
        self._failed: set[str] = set()  # sources of the failures this import wrote
        if self.parquet:
            self._data.file.close()
            self._writer = pq.ParquetWriter(self._data.temporary, SCHEMA)

    def known(self) -> dict[str, tuple[str, str]]:
        """``nct_id -> (text_hash, parser_version)`` of the trials in the file a previous import wrote here."""
        return self._known

    def _read_known(self) -> dict[str, tuple[str, str]]:
        if not self.path.exists():
            return {}
        if self.parquet:
            try:
                table = pq.read_table(self.path, columns=["nct_id", "text_hash", "parser_version"])
            except (pa.ArrowException, OSError) as exc:
                raise CriteriaParserError(f"{self.path}: cannot resume from this file: {exc}") from None
            return {row["nct_id"]: (row["text_hash"], row["parser_version"]) for row in table.to_pylist()}
        return {row["nct_id"]: (row["text_hash"], row["parser_version"]) for row in self._previous_rows()}

    def write(self, batch: list[Union[ParsedTrial, Failure]], parser_version: Optional[str]) -> None:
        """Append trials and failures."""
        self._whole = False
        trials = [t for t in batch if isinstance(t, ParsedTrial)]
        for failure in (f for f in batch if isinstance(f, Failure)):
            self._errors.file.write(failure_line(failure, parser_version))
            self._failed.add(failure.source)
        if self._writer is not None and trials:
            self._writer.write_table(parquet_table(trials))
        elif trials:
            self._data.file.writelines(jsonl_line(t) for t in trials)
        self._trials.update(t.nct_id for t in trials)
        self._whole = True

    def close(self, complete: bool = True) -> None:
        """Add the previous file's other trials and errors, and rename both files into place.

        After an interruption (``complete`` false) what was written is kept too, so a re-run resumes; only a
        write that failed half-way leaves the previous files as they were.
        """
        try:
            if self._whole:
                self._carry_over()
            if self._writer is not None:
                self._writer.close()
            for pending in (self._data, self._errors):
                pending.commit() if self._whole else pending.discard()
        finally:
            self.lock.release()

    def _carry_over(self) -> None:
        """Copy what this import did not replace, as the store keeps it: the previous file's trials this import
        did not write, and its failures unless this import parsed that record or failed on the same source."""
        if self._errors_path.exists():
            with self._errors_path.open(encoding="utf-8") as previous:
                for line in previous:
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError:
                        row = {}
                    if row.get("record_id") not in self._trials and row.get("source") not in self._failed:
                        self._errors.file.write(line)
        if not self.path.exists():
            return
        if self._writer is None:
            with self.path.open(encoding="utf-8") as previous:
                self._data.file.writelines(line for line in previous
                                           if json.loads(line)["nct_id"] not in self._trials)
            return
        done = pa.array(sorted(self._trials), pa.string())
        for batch in pq.ParquetFile(self.path).iter_batches():
            kept = batch.filter(pc.invert(pc.is_in(batch.column("nct_id"), value_set=done)))
            if kept.num_rows:
                self._writer.write_table(pa.Table.from_batches([kept]).cast(SCHEMA))

    def _previous_rows(self) -> Iterator[dict]:
        """The rows of the previous JSON Lines file, checked."""
        with self.path.open(encoding="utf-8") as previous:
            for number, line in enumerate(previous, 1):
                try:
                    row = json.loads(line)
                    yield {key: row[key] for key in ("nct_id", "text_hash", "parser_version")}
                except (json.JSONDecodeError, KeyError, TypeError):
                    raise CriteriaParserError(f"{self.path}:{number}: cannot resume from this file: not a trial "
                                              "row of criteria-parser import") from None
