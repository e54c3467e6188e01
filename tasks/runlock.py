"""No overlapping runs: a file lock held for a whole run (``run_lock``).

The lock is ``fcntl.flock`` on ``Settings.run_lock_path`` (``<db>.run.lock``), taken without
waiting: a second run refuses at once with ``RunInProgress``, naming the PID and start time of
the run that holds it (written into the lock file). The kernel drops the lock when the holder's
process ends, however it ends (SIGKILL too), so a leftover file never blocks the next night; the
file itself stays. Deployments also carry a Prefect concurrency limit (prefect.yaml); this lock
covers local runs (``newsflow ingest``, ``python flows/nightly.py``) and any two runs on one machine.

The lock is re-entrant within a process (the CLI may take it and then run the flow in-process,
which takes it again).
"""

from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from tasks.errors import RunInProgress
from tasks.settings import Settings

_held: dict[str, int] = {}  # lock path -> depth, for the locks this process holds
_guard = threading.Lock()


@dataclass(frozen=True)
class Holder:
    """What the run holding the lock wrote into the lock file."""

    pid: int | None
    started_at: str | None

    def describe(self) -> str:
        pid = f"PID {self.pid}" if self.pid is not None else "PID unknown"
        return f"{pid}, started {self.started_at}" if self.started_at else pid


def read_holder(path: Path) -> Holder:
    """The PID and start time written in a lock file ("<pid> <ISO start time>"), as far as readable."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace").split()
    except OSError:
        return Holder(None, None)
    pid = int(text[0]) if text and text[0].isdigit() else None
    return Holder(pid, text[1] if len(text) > 1 else None)


@contextmanager
def run_lock(settings: Settings) -> Iterator[Path]:
    """Hold the run lock for the block; RunInProgress (one line) when another run holds it."""
    path = Path(settings.run_lock_path)
    key = str(path.resolve())
    with _guard:
        if key in _held:
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield path
        finally:
            with _guard:
                _held[key] -= 1
        return

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = read_holder(path)
            raise RunInProgress(
                f"another newsflow run is in progress ({holder.describe()}; lock {path}): "
                "not starting a second one; try again when it has finished"
            ) from None
        started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {started}\n".encode(), 0)
        with _guard:
            _held[key] = 1
        try:
            yield path
        finally:
            with _guard:
                _held.pop(key, None)
            os.ftruncate(fd, 0)  # released: no holder to name (the lock goes with the fd below)
    finally:
        os.close(fd)
