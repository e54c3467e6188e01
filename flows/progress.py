"""Progress bars for long CLI work (``rich``), on stderr, and only for a person watching.

``progress_bars(out)`` gives a ``Bars``; ``bars.stage("clean", total)`` adds a bar and returns a
callback taking the units done so far. The bars are shown only when both the command's output and
stderr are terminals (and TERM is not "dumb"): piped into a file, a log or another program, the
output stays exactly what it would be without them. The bars vanish when the work ends, leaving
the command's own summary lines.

A flow runs in the CLI's process but cannot take a callback as a parameter (Prefect records its
parameters), so it reports with ``report(what, done)`` to whoever is ``listening`` in this process:
the CLI's bar while ``newsflow ingest`` or ``backfill`` runs it, nobody otherwise.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator

_listeners: list[Callable[[str, int], None]] = []


@contextmanager
def listening(callback: Callable[[str, int], None]) -> Iterator[None]:
    """Call ``callback(what, done)`` for every ``report`` made in this process during the block."""
    _listeners.append(callback)
    try:
        yield
    finally:
        _listeners.remove(callback)


def report(what: str, done: int) -> None:
    """Tell the listeners (if any) that ``done`` units of ``what`` are done so far."""
    for callback in list(_listeners):
        callback(what, done)


def interactive(out: Any = None, err: Any = None) -> bool:
    """True when ``out`` (default stdout) and ``err`` (default stderr) are both terminals."""
    if os.environ.get("TERM") == "dumb":
        return False
    for stream in (out if out is not None else sys.stdout, err if err is not None else sys.stderr):
        try:
            if not stream.isatty():
                return False
        except (AttributeError, ValueError, OSError):  # no isatty, or closed
            return False
    return True


class Bars:
    """Bars on a rich ``Progress``, or none at all (``progress`` None): the same calls either way."""

    def __init__(self, progress: Any = None):
        self._progress = progress

    @property
    def shown(self) -> bool:
        return self._progress is not None

    def stage(self, description: str, total: int | None = None) -> Callable[[int], None]:
        """Add a bar; returns ``update(done)``. ``total`` None: a bar with no end (a pulse)."""
        if self._progress is None:
            return lambda done: None
        task_id = self._progress.add_task(description, total=total)

        def update(done: int) -> None:
            self._progress.update(task_id, completed=done)

        return update


@contextmanager
def progress_bars(out: Any = None, *, enabled: bool | None = None, err: Any = None) -> Iterator[Bars]:
    """Bars on ``err`` (default stderr) for the block; off unless ``interactive(out, err)``
    (or ``enabled`` says otherwise)."""
    err = err if err is not None else sys.stderr
    if not (interactive(out, err) if enabled is None else enabled):
        yield Bars()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(file=err, force_terminal=True if enabled else None)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        yield Bars(progress)
