"""Run an import: read records, skip the unchanged, parse the rest in parallel, write in transactions.

The main process reads the inputs, decides what needs parsing (a record whose
text hash and parser version match the store is unchanged) and writes; worker
processes each load one :class:`~criteria_parser.parser.Parser` and parse
chunks of records through ``nlp.pipe``. An engine runs the chunks: a local
process pool (:class:`LocalEngine`) or a Dask cluster
(:mod:`criteria_parser.registry.dask_engine`).
"""

from __future__ import annotations

import collections
import contextlib
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Protocol, Union

from ..errors import CriteriaParserError
from ..grammar.loader import load_grammars
from .records import Failure, Item, Record, read_inputs
from .records.sources import MAX_DOCUMENT_BYTES, count_items
from .store import ParsedTrial, parsed_trial

#: Trials written per transaction (also flushed every :data:`_FLUSH_SECONDS`).
_WRITE_BATCH = 256
_FLUSH_SECONDS = 1.0
#: Failures a summary keeps for the report (all go to the sink).
_KEPT_FAILURES = 100


@dataclass
class Counts:
    """Records imported and unchanged, and the criteria of those imported: of one chunk, or of an import."""

    imported: int = 0
    unchanged: int = 0
    criteria: int = 0

    def add(self, other: "Counts") -> None:
        """Count ``other``'s records too."""
        self.imported += other.imported
        self.unchanged += other.unchanged
        self.criteria += other.criteria


@dataclass
class ChunkResult(Counts):
    """What parsing one chunk of records gave."""

    trials: list[ParsedTrial] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


@dataclass
class Summary(Counts):
    """Counts of an import."""

    failed: int = 0
    seconds: float = 0.0
    failures: list[Failure] = field(default_factory=list)  #: the first :data:`_KEPT_FAILURES`, for the report

    def fail(self, failures: list[Failure]) -> None:
        """Count failures, keeping the first few."""
        self.failed += len(failures)
        self.failures.extend(failures[:max(0, _KEPT_FAILURES - len(self.failures))])

    @property
    def records(self) -> int:
        return self.imported + self.unchanged + self.failed


class Sink(Protocol):
    """Where parsed trials and failures go: the store, or output files."""

    def known(self) -> dict[str, tuple[str, str]]: ...

    def write(self, batch: list[Union[ParsedTrial, Failure]], parser_version: Optional[str]) -> None: ...


class Pending(Protocol):
    """A submitted chunk; ``get`` waits for its result."""

    def get(self) -> ChunkResult: ...


class Engine(Protocol):
    """Runs chunks of records somewhere and hands back their results."""

    version: str
    slots: int  #: chunks in flight at once
    chunk_size: int  #: records per chunk

    def submit(self, chunk: list[Record]) -> Pending: ...

    def close(self, complete: bool = True) -> None: ...


# ---- the local engine: a process pool, one parser per process ----

_PARSER = None


def load_worker(grammars: Optional[Path], parent: int) -> None:
    """Load this process's parser (once), and end the process as soon as its parent (pid ``parent``) is gone.

    A worker keeps no state worth saving, so it dies at once on SIGTERM (the parent's handler, inherited
    through fork, would raise inside the pool's machinery) and leaves Ctrl-C to its parent. The parent's pid
    comes from the parent: a parent killed while this worker still loads its parser is noticed too.
    """
    global _PARSER
    from ..parser import Parser

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
    if _PARSER is None:
        _PARSER = Parser(grammars)


def worker_version() -> str:
    """The version of this process's parser."""
    return _PARSER.version


def parse_chunk(records: list[Record]) -> ChunkResult:
    """Parse records with this process's parser into rows."""
    from .records.parse import parse_records

    result = ChunkResult()
    for item in parse_records(_PARSER, records):
        if isinstance(item, Failure):
            result.failures.append(item)
        else:
            trial = parsed_trial(*item)
            result.trials.append(trial)
            result.imported += 1
            result.criteria += len(trial.criteria)
    return result


class Done:
    """A result already at hand."""

    def __init__(self, result: ChunkResult) -> None:
        self.result = result

    def get(self) -> ChunkResult:
        return self.result


_WORKER_DIED = "a parser process died (out of memory?)"
_WATCH_SECONDS = 0.5


class _Future:
    """A chunk running in the process pool.

    The executor notices most dead workers itself, but a worker killed while sending its result leaves the
    executor reading half a message forever; so while waiting we also look at the workers every half second.
    """

    def __init__(self, future: Future, worker_died: Callable[[], bool]) -> None:
        self.future = future
        self.worker_died = worker_died

    def get(self) -> ChunkResult:
        while True:
            try:
                return self.future.result(timeout=_WATCH_SECONDS)
            except BrokenProcessPool:
                raise CriteriaParserError(_WORKER_DIED) from None
            except FutureTimeout:
                if self.worker_died():
                    raise CriteriaParserError(_WORKER_DIED) from None


class LocalEngine:
    """Parse in this process (one worker) or in a pool of worker processes, each with its own parser."""

    chunk_size = 16

    def __init__(self, workers: int, grammars: Optional[Path] = None) -> None:
        global _PARSER
        self.slots = 2 * workers
        self._pool: Optional[ProcessPoolExecutor] = None
        load_grammars(grammars)  # a bad grammar directory fails here, once, not in every worker
        if workers == 1:
            from ..parser import Parser

            if _PARSER is None or grammars is not None:
                _PARSER = Parser(grammars)
            self.version = _PARSER.version
        else:
            self._pool = ProcessPoolExecutor(workers, multiprocessing.get_context("fork"), load_worker,
                                             (grammars, os.getpid()))
            self.version = _Future(self._pool.submit(worker_version), self._worker_died).get()

    def submit(self, chunk: list[Record]) -> Pending:
        if self._pool is None:
            return Done(parse_chunk(chunk))
        if self._worker_died():
            raise CriteriaParserError(_WORKER_DIED)
        try:  # the pool may notice a death first
            return _Future(self._pool.submit(parse_chunk, chunk), self._worker_died)
        except BrokenProcessPool:
            raise CriteriaParserError(_WORKER_DIED) from None

    def _worker_died(self) -> bool:
        return any(process.exitcode is not None for process in self._workers())

    def _workers(self) -> list:
        """The executor's worker processes (none once it is shut down)."""
        processes = self._pool._processes if self._pool else None  # noqa: SLF001  (no public accessor)
        return list((processes or {}).values())

    def close(self, complete: bool = True) -> None:
        """Stop the worker processes; after an interruption, kill them without waiting for their chunks.

        A worker killed while sending its result leaves the executor's exit handler waiting forever, so after
        ``close(complete=False)`` the caller leaves with ``os._exit``.
        """
        if self._pool is None:
            return
        if not complete:
            for process in self._workers():
                with contextlib.suppress(ProcessLookupError):  # it may end between the two calls
                    os.kill(process.pid, signal.SIGKILL)
        self._pool.shutdown(wait=complete, cancel_futures=True)


# ---- the main loop ----


def count_records_in_background(paths: list, on_total: Callable[[int], None]) -> None:
    """Count the inputs' records in a thread and call ``on_total`` with the number, so the import need not wait.

    Counting reads every plain input once more (0.1 ms a record in JSON Lines, about 1 ms with a file per
    study): up front it would delay a registry-sized import by one to nine minutes. It never decompresses
    (:func:`~.records.sources.count_items`), so an archive is not unpacked twice at once.
    """
    def count() -> None:
        try:
            total = count_items(paths)
        except (OSError, CriteriaParserError):
            return  # the bar goes without a total; the import itself reports what cannot be read
        if total is not None:
            on_total(total)

    threading.Thread(target=count, name="count-records", daemon=True).start()


class _Triage:
    """Decides for each item read: failure, unchanged, duplicate, or to be parsed.

    A second copy of an id with different content waits (:attr:`deferred`): it is parsed only if the first
    copy fails, so an id read twice is stored once, from the first copy that parses.
    """

    def __init__(self, known: dict[str, tuple[str, str]], version: str) -> None:
        self.known = known
        self.version = version
        self.seen: dict[str, tuple[str, str]] = {}
        self.deferred: dict[str, list[Record]] = {}

    def __call__(self, item: Item) -> Union[Record, Failure, None, "_Deferred"]:
        """The record to parse, a failure to write, None for an unchanged record, or DEFERRED."""
        if isinstance(item, Failure):
            return item
        digest = item.text_hash
        if item.id in self.seen:
            if self.seen[item.id][0] == digest:
                return None
            self.deferred.setdefault(item.id, []).append(item)
            return DEFERRED
        self.seen[item.id] = (digest, item.source)
        return None if self.known.get(item.id) == (digest, self.version) else item

    def retry(self, failures: list[Failure]) -> list[Record]:
        """The next waiting copy of each id whose copy just failed."""
        retried = []
        for failure in failures:
            waiting = self.deferred.get(failure.id) if failure.id else None
            if waiting:
                retried.append(waiting.pop(0))
                if not waiting:
                    del self.deferred[failure.id]
        return retried

    def duplicates(self) -> list[Failure]:
        """The copies still waiting once every first copy is done: their id is stored from another copy."""
        return [Failure(record.id, record.source, f"duplicate record: {record.id} was read from "
                                                  f"{self.seen[record.id][1]} in this import with different "
                                                  "content; kept that one")
                for records in self.deferred.values() for record in records]


class _Deferred:
    """What :class:`_Triage` says of a copy that waits for its first copy's result."""


DEFERRED = _Deferred()


def run_import(paths: list, sink: Sink, engine: Engine, chunk_size: Optional[int] = None,
               on_progress: Callable[[int, Summary], None] = lambda advance, summary: None,
               max_bytes: int = MAX_DOCUMENT_BYTES) -> Summary:
    """Import every record of ``paths`` into ``sink``.

    Args:
        paths: files, directories, archives, or ``-`` for standard input.
        sink: the store or an output file.
        engine: runs the parsing.
        chunk_size: records per task sent to a worker (default: the engine's).
        on_progress: called with the number of records just finished and the running summary.
        max_bytes: the most one file or archive member may hold, decompressed.

    Returns:
        The counts; failures are written to the sink as they come.
    """
    summary = Summary()
    started = time.monotonic()
    triage = _Triage(sink.known(), engine.version)
    batches = _Batches(sink, engine.version)
    in_flight = _InFlight(engine, triage, summary, batches, on_progress)
    for chunk, skipped in _chunks(read_inputs(paths, max_bytes), triage, chunk_size or engine.chunk_size):
        for item in skipped:
            if isinstance(item, Failure):
                batches.add([item])
                summary.fail([item])
            else:
                summary.unchanged += 1
        if skipped:
            on_progress(len(skipped), summary)
        if chunk:
            in_flight.submit(chunk)
        batches.flush()
    in_flight.drain()
    duplicates = triage.duplicates()
    batches.add(duplicates)
    summary.fail(duplicates)
    on_progress(len(duplicates), summary)
    batches.flush(force=True)
    summary.seconds = time.monotonic() - started
    return summary


class _Batches:
    """What waits to be written to the sink: written when :data:`_WRITE_BATCH` items wait, or when the last write
    is :data:`_FLUSH_SECONDS` ago."""

    def __init__(self, sink: Sink, version: str) -> None:
        self.sink = sink
        self.version = version
        self.waiting: list[Union[ParsedTrial, Failure]] = []
        self.last_flush = time.monotonic()

    def add(self, items: Iterable[Union[ParsedTrial, Failure]]) -> None:
        self.waiting.extend(items)

    def flush(self, force: bool = False) -> None:
        """Write what waits, when enough waits or it has waited long enough (``force``: whatever waits)."""
        if self.waiting and (force or len(self.waiting) >= _WRITE_BATCH
                             or time.monotonic() - self.last_flush > _FLUSH_SECONDS):
            self.sink.write(self.waiting, self.version)
            self.waiting.clear()
            self.last_flush = time.monotonic()


class _InFlight:
    """The chunks sent to the engine and not yet collected, at most ``engine.slots``. A result collected goes into
    the summary and the batches, and the copies of a record that waited on it are sent in its place."""

    def __init__(self, engine: Engine, triage: _Triage, summary: Summary, batches: _Batches,
                 on_progress: Callable[[int, Summary], None]) -> None:
        self.engine = engine
        self.triage = triage
        self.summary = summary
        self.batches = batches
        self.on_progress = on_progress
        self.queue: collections.deque[tuple[int, Pending]] = collections.deque()

    def submit(self, chunk: list[Record]) -> None:
        """Send ``chunk``, once a slot is free (collecting the oldest until one is)."""
        while len(self.queue) >= self.engine.slots:
            self._collect()
        self.queue.append((len(chunk), self.engine.submit(chunk)))

    def drain(self) -> None:
        """Collect every chunk still in flight, and those sent again meanwhile."""
        while self.queue:
            self._collect()

    def _collect(self) -> None:
        size, pending = self.queue.popleft()
        result = pending.get()
        retried = self.triage.retry(result.failures)
        self.batches.add(result.trials)
        self.batches.add(result.failures)
        summary = self.summary
        summary.add(result)
        summary.fail(result.failures)
        self.on_progress(size, summary)
        self.batches.flush()
        if retried:
            self.queue.append((len(retried), self.engine.submit(retried)))


def _chunks(items: Iterable[Item], triage: _Triage, size: int) -> Iterator[tuple[list[Record], list]]:
    """Chunks of records to parse, each with the items (failures, unchanged records) skipped meanwhile."""
    chunk: list[Record] = []
    skipped: list = []
    for item in items:
        decided = triage(item)
        if isinstance(decided, Record):
            chunk.append(decided)
        elif decided is DEFERRED:
            continue
        else:
            skipped.append(decided if decided is not None else item)
        if len(chunk) >= size or len(skipped) >= size:
            yield chunk, skipped
            chunk, skipped = [], []
    if chunk or skipped:
        yield chunk, skipped


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt, so a terminated import stops like an interrupted one."""
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
