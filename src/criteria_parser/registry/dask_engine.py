"""Run an import on a Dask cluster (dask.distributed): workers parse chunks and write Parquet shards.

Each worker process loads one parser, once, and writes each chunk it parses
as ``part-<hash>.parquet`` (with ``part-<hash>.errors.jsonl`` for failures)
into the output directory, which every worker must be able to reach. The hash
covers the chunk's record hashes and the parser version, so a re-run skips
chunks already written and a newer parser writes new shards; shards not
produced by a completed run are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Optional, Union

import pyarrow.parquet as pq

from ..errors import CriteriaParserError
from .importer import ChunkResult, Done, Pending
from .outputs import PendingFile, failure_line, parquet_table
from .records import Failure, Record
from .store import ParsedTrial, parsed_trial

_PARSER = None
_PARSER_LOCK = threading.Lock()


def _parser(grammars: Optional[str]):
    """This worker process's parser, loaded on first use."""
    global _PARSER
    with _PARSER_LOCK:
        if _PARSER is None:
            from ..parser import Parser

            _PARSER = Parser(Path(grammars) if grammars else None)
        return _PARSER


def _version(grammars: Optional[str]) -> str:
    return _parser(grammars).version


def _parse_shard(records: list[Record], path: str, grammars: Optional[str]) -> ChunkResult:
    """Parse a chunk on a worker and write it as a Parquet shard (and its failures beside it)."""
    from .records.parse import parse_records

    parser = _parser(grammars)
    result = ChunkResult()
    with _PARSER_LOCK:
        parsed = parse_records(parser, records)
    trials = []
    for item in parsed:
        if isinstance(item, Failure):
            result.failures.append(item)
        else:
            trials.append(parsed_trial(*item))
            result.imported += 1
            result.criteria += len(trials[-1].criteria)
    errors = PendingFile(Path(path).with_suffix(".errors.jsonl"))
    errors.file.writelines(failure_line(f, parser.version) for f in result.failures)
    errors.commit()
    temporary = f"{path}.{os.getpid()}.tmp"
    pq.write_table(parquet_table(trials), temporary)
    os.replace(temporary, path)
    return result


def _written(path: Path, size: int) -> ChunkResult:
    """The result of a chunk whose shard an earlier run wrote."""
    failures = [Failure(row["record_id"], row["source"], row["reason"])
                for row in map(json.loads, path.with_suffix(".errors.jsonl").read_text().splitlines())]
    return ChunkResult(failures=failures, unchanged=size - len(failures))


class _Future:
    def __init__(self, future) -> None:
        self.future = future

    def get(self) -> ChunkResult:
        return self.future.result()


class DaskEngine:
    """Parse on a Dask cluster; with no scheduler address, on a local cluster of ``workers`` processes."""

    chunk_size = 500  #: records per shard

    def __init__(self, out: Path, workers: int, scheduler: Optional[str], grammars: Optional[Path]) -> None:
        from distributed import Client, LocalCluster

        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.grammars = str(grammars) if grammars else None
        self._cluster = None
        try:
            if scheduler:
                self.client = Client(scheduler, timeout="30s")
            else:
                self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                             dashboard_address=":0")
                self.client = Client(self._cluster)
        except (OSError, TimeoutError) as exc:
            raise CriteriaParserError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        self.slots = 2 * max(1, sum(self.client.nthreads().values()))
        self.version = self.client.submit(_version, self.grammars, pure=False).result()
        self.shards: set[str] = set()

    def submit(self, chunk: list[Record]) -> Pending:
        digest = hashlib.sha1(self.version.encode())
        for record in chunk:
            digest.update(record.text_hash.encode())
        path = self.out / f"part-{digest.hexdigest()[:20]}.parquet"
        self.shards.add(path.name)
        if path.exists() and path.with_suffix(".errors.jsonl").exists():
            return Done(_written(path, len(chunk)))
        return _Future(self.client.submit(_parse_shard, chunk, str(path), self.grammars, pure=False))

    def close(self, complete: bool = True) -> None:
        """Shut the client (and a local cluster) down; after a complete run, remove stale shards."""
        if complete:
            for shard in self.out.glob("part-*.parquet"):
                if shard.name not in self.shards:
                    shard.unlink()
                    shard.with_suffix(".errors.jsonl").unlink(missing_ok=True)
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


class ShardErrors:
    """The sink of a Dask import: shards are written by the workers; failures of reading go to ``errors.jsonl``."""

    def __init__(self, out: Path) -> None:
        Path(out).mkdir(parents=True, exist_ok=True)
        self._errors = PendingFile(Path(out) / "errors.jsonl")

    def known(self) -> dict[str, tuple[str, str]]:
        return {}

    def write(self, batch: list[Union[ParsedTrial, Failure]], parser_version: Optional[str]) -> None:
        self._errors.file.writelines(failure_line(f, parser_version) for f in batch if isinstance(f, Failure))

    def close(self, complete: bool = True) -> None:
        self._errors.commit() if complete else self._errors.discard()
