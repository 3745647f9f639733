"""What a person sees while long work runs, on stderr, gone when the work is done.

- Loading files: ONE display across all files (files done / total, rows read, elapsed, the
  file being read), not a line per file.
- The steps of `recommend`, `simulate` and `report`: a live status naming the step ("pricing
  240,000 calls…", "judging routes…", "writing report…"). The core only calls an optional
  `on_step(str)`; the display is here.
- Nothing at all when stdout is not a terminal (piped, redirected), stderr is not one, the
  format is json or markdown, or with `--quiet`: the output is the result, and only the result.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID
    from rich.status import Status

QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display while working "
                                        "(there is none when the output is piped either).")]

_quiet: ContextVar[bool] = ContextVar("llmcost_quiet", default=False)

OnStep = Callable[[str], None]


def set_quiet(flag: bool) -> None:
    _quiet.set(flag)


def _console() -> Console:
    from llmcost.cli.common import console

    return console(stderr=True)


def wanted(table: bool = True) -> bool:
    """A display is shown: a table result, no --quiet, stdout and stderr both terminals."""
    if not table or _quiet.get():
        return False
    return sys.stdout.isatty() and _console().is_terminal


class FileProgress:
    """One transient rich display across the files of a run (`ingest.load.IngestProgress`)."""

    def __init__(self) -> None:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.rows = 0
        self.progress: Progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.completed:,.0f}/{task.total:,.0f} files · {task.fields[rows]} · "),
            TimeElapsedColumn(),
            TextColumn("{task.description}", style="dim"),
            console=_console(), transient=True)
        self.task: TaskID | None = None

    def begin(self, files: int) -> None:
        self.task = self.progress.add_task("", total=max(files, 1), rows="0 rows")
        self.progress.start()

    def start(self, path: Path) -> None:
        from llmcost.render.safe_text import visible

        if self.task is not None:
            self.progress.update(self.task, description=f"reading {visible(path.name)} …")

    def done(self, path: Path, rows: int) -> None:
        self.rows += rows
        if self.task is not None:
            self.progress.update(self.task, advance=1, rows=f"{self.rows:,} rows")

    def stop(self) -> None:
        self.progress.stop()


class Steps:
    """A transient status line naming the step under way, started at the first step."""

    def __init__(self) -> None:
        self.status: Status | None = None
        self.began = time.monotonic()

    def __call__(self, text: str) -> None:
        if self.status is None:
            self.status = _console().status(text, spinner="dots")
            self.status.start()
        else:  # naming the spinner makes rich redraw now: a short step is still shown
            self.status.update(text, spinner="dots")

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


@contextmanager
def steps(table: bool = True) -> Iterator[OnStep | None]:
    """`on_step` for the core while the block runs (None when nothing is to be shown); the
    status is cleared when the block ends, before the result is printed."""
    if not wanted(table):
        yield None
        return
    shown = Steps()
    try:
        yield shown
    finally:
        shown.stop()


@contextmanager
def files(table: bool = True) -> Iterator[FileProgress | None]:
    """The display of a run's files (None when nothing is to be shown)."""
    if not wanted(table):
        yield None
        return
    shown = FileProgress()
    try:
        yield shown
    finally:
        shown.stop()
