"""No overlapping runs: the run lock (tasks/runlock.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tasks.errors import RunInProgress
from tasks.runlock import Holder, read_holder, run_lock
from tasks.settings import Settings
from tests.conftest import ROOT

HOLD = ("import sys; from pathlib import Path; from tasks.runlock import run_lock; from tasks.settings import Settings\n"
        "with run_lock(Settings(db_path=Path(sys.argv[1]))):\n"
        "    print('locked', flush=True); sys.stdin.read()\n")


def hold(db: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_run_refuses_at_once_naming_the_run_that_holds_the_lock(tmp_path):
    s = Settings(db_path=tmp_path / "w.duckdb")
    holder = hold(s.db_path)
    try:
        with pytest.raises(RunInProgress) as e:
            with run_lock(s):
                pytest.fail("entered a run while another one holds the lock")
        message = str(e.value)
        started = read_holder(s.run_lock_path).started_at
        assert message == (f"another newsflow run is in progress (PID {holder.pid}, started {started}; "
                           f"lock {s.run_lock_path}): not starting a second one; try again when it has finished")
        assert datetime.fromisoformat(started).tzinfo is not None and "\n" not in message
    finally:
        holder.communicate("")
    with run_lock(s):  # the holder finished: the next run goes ahead
        assert read_holder(s.run_lock_path).pid == os.getpid()
    assert read_holder(s.run_lock_path) == Holder(None, None)  # released: nobody named


def test_a_killed_run_never_blocks_the_next(tmp_path):
    s = Settings(db_path=tmp_path / "w.duckdb")
    holder = hold(s.db_path)
    holder.send_signal(signal.SIGKILL)
    holder.communicate()
    assert read_holder(s.run_lock_path).pid == holder.pid  # the file still names it ...
    with run_lock(s):  # ... but the kernel dropped its lock
        assert read_holder(s.run_lock_path).pid == os.getpid()


def test_the_lock_is_reentrant_in_one_process_and_per_warehouse(tmp_path):
    s = Settings(db_path=tmp_path / "w.duckdb")
    other = Settings(db_path=tmp_path / "other" / "w.duckdb")
    with run_lock(s) as path:
        assert path == s.run_lock_path == tmp_path / "w.duckdb.run.lock"
        with run_lock(s):  # the CLI holds it and runs the flow in-process, which takes it again
            pass
        assert read_holder(path).pid == os.getpid()  # the inner exit does not release it
        holder = subprocess.Popen([sys.executable, "-c", HOLD, str(s.db_path)], cwd=ROOT, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = holder.communicate("")
        assert holder.returncode != 0 and "RunInProgress" in err and f"PID {os.getpid()}" in err
        with run_lock(other):  # another warehouse is another lock
            pass


def test_read_holder_copes_with_what_it_finds(tmp_path):
    path = tmp_path / "lock"
    assert read_holder(path) == Holder(None, None)
    path.write_text("")
    assert read_holder(path).describe() == "PID unknown"
    path.write_text("123 2026-11-23T02:00:00+00:00\n")
    assert read_holder(path).describe() == "PID 123, started 2026-11-23T02:00:00+00:00"
