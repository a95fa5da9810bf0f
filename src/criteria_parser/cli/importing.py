"""``criteria-parser import``: registry records into the SQLite store, or into JSONL/Parquet files."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from .base import app, fail, say
from ..errors import CriteriaParserError

if TYPE_CHECKING:
    from ..registry.importer import Summary
    from ..registry.lock import ImportLock


class EngineName(str, Enum):
    local = "local"
    dask = "dask"


@app.command("import")
def import_command(
    paths: list[str] = typer.Argument(..., help="Files, directories, .zip/.gz/.tar archives of trial records, or - for stdin."),
    db: Path = typer.Option(Path("trials.db"), "--db", help="The SQLite store to import into (made if missing)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write parsed.jsonl or parsed.parquet instead of the store (a directory of Parquet shards with --engine dask)."),
    workers: int = typer.Option(os.cpu_count() or 1, "--workers", "-w", min=1, help="Parser processes (default: all cores)."),
    engine: EngineName = typer.Option(EngineName.local, "--engine", help="local (process pool) or dask (a Dask cluster)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a local cluster)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    grammars: Optional[Path] = typer.Option(None, "--grammars", help="Use this grammar directory instead of the packaged one."),
    max_mb: float = typer.Option(512.0, "--max-mb", min=0.001, help="Skip (as a failure) any file or archive member larger than this many megabytes once decompressed."),
) -> None:
    """Import trial records (CT.gov v2 JSON, legacy XML, AACT CSV, listing pages, criteria text).

    Records whose text and parser version are already in the store are skipped, so a re-run resumes an
    interrupted import; records that cannot be read or parsed go to the errors table and the import goes on.
    """
    _check_options(paths, out, engine, scheduler)
    try:
        sink = _open_sink(db, out, engine)
    except OSError as exc:
        raise CriteriaParserError(f"cannot write: {exc.strerror or exc}", out or db) from None
    try:
        runner = _open_engine(engine, workers, scheduler, out, grammars)
    except CriteriaParserError:
        sink.close(False)
        raise
    summary, problem, code = _run(paths, sink, runner, quiet, max_mb)
    if summary is None:
        say(f"{problem}; what was written is complete, re-run to resume")
        sys.stdout.flush()
        sys.stderr.flush()
        # the exit handlers of concurrent.futures would wait on the killed workers' queues
        os._exit(code)
    _report(summary, out or db, out is None)


def _check_options(paths: list[str], out: Optional[Path], engine: EngineName, scheduler: Optional[str]) -> None:
    """A user's mistake in the inputs or options, as its one line."""
    missing = [p for p in paths if p != "-" and not Path(p).exists()]
    if missing:
        raise CriteriaParserError("no such file or directory", missing[0])
    if engine is EngineName.dask and out is None:
        fail("--engine dask writes Parquet shards: give --out DIRECTORY")
    if engine is EngineName.local and out is not None and out.suffix.lower() not in (".jsonl", ".parquet"):
        raise CriteriaParserError("--out must end in .jsonl or .parquet", out)
    if scheduler and engine is not EngineName.dask:
        fail("--scheduler needs --engine dask")


def _run(paths: list[str], sink, runner, quiet: bool, max_mb: float) -> tuple[Optional[Summary], str, int]:
    """The import with its progress bar, then the sink and the engine closed (whole only if it ended): its
    summary, or None with why it stopped and the exit code."""
    from ..registry.importer import count_records_in_background, run_import, terminate_as_interrupt
    from .progress import import_progress

    summary: Optional[Summary] = None
    complete, problem, code = False, "", 0
    progress = import_progress(quiet)
    try:
        with terminate_as_interrupt(), progress:
            task = progress.add_task("importing", total=None, imported=0, unchanged=0, failed=0)
            if not quiet:  # the bar starts now; its total (and ETA) comes when the inputs are counted
                count_records_in_background(paths, lambda total: progress.update(task, total=total))

            def advance(done: int, summary: Summary) -> None:
                progress.update(task, advance=done, imported=summary.imported, unchanged=summary.unchanged,
                                failed=summary.failed)

            summary = run_import(paths, sink, runner, on_progress=advance, max_bytes=int(max_mb * 1e6))
        complete = True
    except KeyboardInterrupt:
        problem, code = "interrupted", 130
    except CriteriaParserError as exc:  # a parser process died, a full disk
        problem, code = str(exc), 1
    finally:
        try:
            sink.close(complete)  # the store first: what was written stays whole
        except CriteriaParserError as exc:  # a full disk while the files are put together
            complete, problem, code = False, str(exc), 1
        runner.close(complete)
    return (summary if complete else None), problem, code


def _open_sink(db: Path, out: Optional[Path], engine: EngineName):
    if engine is EngineName.dask:
        from ..registry.dask_engine import ShardErrors

        return ShardErrors(out)
    if out is not None:
        from ..registry.outputs import FileOutput

        output = FileOutput(out)
        _tell_stale(output.lock)
        return output
    from ..registry.store import Store

    store = Store(db)
    try:
        _tell_stale(store.lock())
    except CriteriaParserError:
        store.close()
        raise
    return store


def _tell_stale(lock: ImportLock) -> None:
    if lock.stale:
        say(lock.stale)


def _open_engine(engine: EngineName, workers: int, scheduler: Optional[str], out: Optional[Path],
                 grammars: Optional[Path]):
    if engine is EngineName.dask:
        from ..registry.dask_engine import DaskEngine

        return DaskEngine(out, workers, scheduler, grammars)
    from ..registry.importer import LocalEngine

    return LocalEngine(workers, grammars)


def _report(summary: Summary, target: Path, store: bool) -> None:
    rate = summary.records / summary.seconds if summary.seconds else 0.0
    typer.echo(f"imported {summary.imported}, unchanged {summary.unchanged}, failed {summary.failed} "
               f"in {summary.seconds:.1f} s ({rate:.0f} records/s) into {target}", err=True)
    shown = 10
    for failure in summary.failures[:shown]:
        typer.echo(f"  failed: {failure.source}: {failure.reason}", err=True)
    if summary.failed > shown:
        where = "the errors table" if store else f"{target}.errors.jsonl"
        typer.echo(f"  ... and {summary.failed - shown} more in {where}", err=True)
