"""Write an import to files instead of the store: JSON Lines or Parquet, plus an errors file.

Both are written to a temporary file beside the target and renamed when the
import ends, so an interrupted import leaves no half-written output. Parquet
(through pyarrow) has one row per trial with nested ``criteria`` and
``constraints`` lists and the model as JSON in ``listing``; DuckDB, Polars and
Spark read it. Failures go to ``<out>.errors.jsonl``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import IO, Optional, Union

import pyarrow as pa
import pyarrow.parquet as pq

from .flat import FLAT_COLUMNS
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
        self._data = PendingFile(self.path)
        self._errors = PendingFile(self.path.with_name(self.path.name + ".errors.jsonl"))
        self._writer = None
        if self.parquet:
            self._data.file.close()
            self._writer = pq.ParquetWriter(self._data.temporary, SCHEMA)

    def known(self) -> dict[str, tuple[str, str]]:
        """Files start empty: nothing is known."""
        return {}

    def write(self, batch: list[Union[ParsedTrial, Failure]], parser_version: Optional[str]) -> None:
        """Append trials and failures."""
        trials = [t for t in batch if isinstance(t, ParsedTrial)]
        for failure in (f for f in batch if isinstance(f, Failure)):
            self._errors.file.write(failure_line(failure, parser_version))
        if self._writer is not None and trials:
            self._writer.write_table(parquet_table(trials))
        elif trials:
            self._data.file.writelines(jsonl_line(t) for t in trials)

    def close(self, complete: bool = True) -> None:
        """Rename the files into place, or drop them when the import did not complete."""
        if self._writer is not None:
            self._writer.close()
        for pending in (self._data, self._errors):
            pending.commit() if complete else pending.discard()
