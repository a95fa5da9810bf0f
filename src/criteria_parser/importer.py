"""Run an import: read records, skip the unchanged, parse the rest in parallel, write in transactions.

The main process reads the inputs, decides what needs parsing (a record whose
text hash and parser version match the store is unchanged) and writes; worker
processes each load one :class:`~criteria_parser.parser.Parser` and parse
chunks of records through ``nlp.pipe``. An engine runs the chunks: a local
process pool (:class:`LocalEngine`) or a Dask cluster
(:mod:`criteria_parser.dask_engine`).
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Protocol, Union

from .records import Failure, Item, Record, read_inputs
from .store import ParsedTrial, parsed_trial

#: Trials written per transaction (also flushed every :data:`_FLUSH_SECONDS`).
_WRITE_BATCH = 256
_FLUSH_SECONDS = 1.0


@dataclass
class ChunkResult:
    """What parsing one chunk of records gave."""

    trials: list[ParsedTrial] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    imported: int = 0
    unchanged: int = 0
    criteria: int = 0


@dataclass
class Summary:
    """Counts of an import."""

    imported: int = 0
    unchanged: int = 0
    failed: int = 0
    criteria: int = 0
    seconds: float = 0.0
    failures: list[Failure] = field(default_factory=list)

    @property
    def records(self) -> int:
        return self.imported + self.unchanged + self.failed


class Sink(Protocol):
    """Where parsed trials and failures go: the store, or output files."""

    def known(self) -> dict[str, tuple[str, str]]: ...

    def write(self, batch: list[Union[ParsedTrial, Failure]], parser_version: Optional[str]) -> None: ...


class Pending(Protocol):
    def get(self) -> ChunkResult: ...


class Engine(Protocol):
    """Runs chunks of records somewhere and hands back their results."""

    version: str
    slots: int

    def submit(self, chunk: list[Record]) -> Pending: ...

    def close(self, complete: bool = True) -> None: ...


# ---- the local engine: a process pool, one parser per process ----

_PARSER = None


def load_worker(grammars: Optional[Path]) -> None:
    """Load this process's parser (once), and end the process if its parent dies.

    A worker keeps no state worth saving, so it dies at once on SIGTERM (the parent's handler, inherited
    through fork, would raise inside the pool's machinery) and leaves Ctrl-C to its parent.
    """
    global _PARSER
    from .parser import Parser

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    if _PARSER is None:
        _PARSER = Parser(grammars)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


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


class LocalEngine:
    """Parse in this process (one worker) or in a pool of worker processes."""

    def __init__(self, workers: int, grammars: Optional[Path] = None) -> None:
        self.slots = 2 * workers
        self._pool = None
        if workers == 1:
            from .parser import Parser

            global _PARSER
            _PARSER = _PARSER or Parser(grammars)
            self.version = _PARSER.version
        else:
            self._pool = multiprocessing.get_context("fork").Pool(workers, load_worker, (grammars,))
            self.version = self._pool.apply(worker_version)

    def submit(self, chunk: list[Record]) -> Pending:
        if self._pool is None:
            return Done(parse_chunk(chunk))
        return self._pool.apply_async(parse_chunk, (chunk,))

    def close(self, complete: bool = True) -> None:
        """Stop the worker processes; after an interruption, without waiting for their chunks."""
        if self._pool is None:
            return
        if complete:
            self._pool.terminate()
            self._pool.join()
            return
        # interrupted: kill the workers without Pool.terminate(), which can deadlock when a worker dies while
        # the pool's task pipe is full; the caller then leaves with os._exit
        for process in self._pool._pool:  # noqa: SLF001  (multiprocessing keeps its workers here)
            if process.pid and process.is_alive():
                os.kill(process.pid, signal.SIGKILL)


# ---- the main loop ----


def count_records(paths: list) -> Optional[int]:
    """How many records (and failures) the inputs hold; None when they include standard input."""
    if any(str(p) == "-" for p in paths):
        return None
    return sum(1 for _ in read_inputs(paths))


class _Triage:
    """Decides for each item read: failure, unchanged, duplicate, or to be parsed."""

    def __init__(self, known: dict[str, tuple[str, str]], version: str) -> None:
        self.known = known
        self.version = version
        self.seen: dict[str, tuple[str, str]] = {}

    def __call__(self, item: Item) -> Union[Record, Failure, None]:
        """The record to parse, a failure to write, or None for an unchanged record."""
        if isinstance(item, Failure):
            return item
        digest = item.text_hash
        if item.id in self.seen:
            first_hash, first_source = self.seen[item.id]
            if first_hash == digest:
                return None
            return Failure(item.id, item.source, f"duplicate record: {item.id} was read from {first_source} "
                                                 "in this import with different content; kept that one")
        self.seen[item.id] = (digest, item.source)
        return None if self.known.get(item.id) == (digest, self.version) else item


def run_import(paths: list, sink: Sink, engine: Engine, chunk_size: int = 16,
               on_progress: Callable[[int, Summary], None] = lambda advance, summary: None) -> Summary:
    """Import every record of ``paths`` into ``sink``.

    Args:
        paths: files, directories, archives, or ``-`` for standard input.
        sink: the store or an output file.
        engine: runs the parsing.
        chunk_size: records per task sent to a worker.
        on_progress: called with the number of records just finished and the running summary.

    Returns:
        The counts; failures are written to the sink as they come.
    """
    summary = Summary()
    started = time.monotonic()
    triage = _Triage(sink.known(), engine.version)
    buffer: list[Union[ParsedTrial, Failure]] = []
    last_flush = time.monotonic()
    in_flight: collections.deque[tuple[int, Pending]] = collections.deque()

    def flush(force: bool = False) -> None:
        nonlocal last_flush
        if buffer and (force or len(buffer) >= _WRITE_BATCH or time.monotonic() - last_flush > _FLUSH_SECONDS):
            sink.write(buffer, engine.version)
            buffer.clear()
            last_flush = time.monotonic()

    def collect(size: int, pending: Pending) -> None:
        result = pending.get()
        buffer.extend(result.trials)
        buffer.extend(result.failures)
        summary.imported += result.imported
        summary.unchanged += result.unchanged
        summary.criteria += result.criteria
        summary.failed += len(result.failures)
        summary.failures.extend(result.failures)
        on_progress(size, summary)
        flush()

    for chunk, skipped in _chunks(read_inputs(paths), triage, chunk_size):
        for item in skipped:
            if isinstance(item, Failure):
                buffer.append(item)
                summary.failed += 1
                summary.failures.append(item)
            else:
                summary.unchanged += 1
        if skipped:
            on_progress(len(skipped), summary)
        if chunk:
            while len(in_flight) >= engine.slots:
                collect(*in_flight.popleft())
            in_flight.append((len(chunk), engine.submit(chunk)))
        flush()
    while in_flight:
        collect(*in_flight.popleft())
    flush(force=True)
    summary.seconds = time.monotonic() - started
    return summary


def _chunks(items: Iterable[Item], triage: _Triage, size: int) -> Iterator[tuple[list[Record], list]]:
    """Chunks of records to parse, each with the items (failures, unchanged records) skipped meanwhile."""
    chunk: list[Record] = []
    skipped: list = []
    for item in items:
        decided = triage(item)
        if isinstance(decided, Record):
            chunk.append(decided)
        else:
            skipped.append(decided if decided is not None else item)
        if len(chunk) >= size or len(skipped) >= size:
            yield chunk, skipped
            chunk, skipped = [], []
    if chunk or skipped:
        yield chunk, skipped


def terminate_on_sigterm() -> None:
    """Turn SIGTERM into KeyboardInterrupt, so a terminated import stops like an interrupted one."""
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
