"""The import's progress bar (rich): records done, records/s, elapsed, ETA and counts, on stderr."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, SpinnerColumn, Task,
                           TextColumn, TimeElapsedColumn, TimeRemainingColumn)
from rich.text import Text


class RateColumn(ProgressColumn):
    """Records per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rec/s" if speed else "- rec/s", style="progress.data.speed")


def import_progress(quiet: bool) -> Progress:
    """A progress display for an import; silent when ``quiet``."""
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        TextColumn("new {task.fields[imported]} same {task.fields[unchanged]} failed {task.fields[failed]}"),
        console=Console(stderr=True), disable=quiet, speed_estimate_period=10,
    )

