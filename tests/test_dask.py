"""The flow on a real Dask cluster: a `dask scheduler` and two `dask worker` processes on 127.0.0.1.

The CPU-heavy stages are mapped over small slices (NEWSFLOW_MAP_SIZE=4) so that both workers get
work; the warehouse must be identical to the one a local (thread pool) run builds, but for the
columns that name the run or its time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.factories import warehouse_contents

pytestmark = pytest.mark.usefixtures("prefect_harness")

DASK = Path(sys.executable).with_name("dask")
@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two single-threaded workers, each its own process, on 127.0.0.1."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    scheduler_file = tmp_path / "scheduler.json"
    procs = [subprocess.Popen(
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(scheduler_file)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert scheduler_file.exists(), "the dask scheduler did not start"
        for i in range(2):
            procs.append(subprocess.Popen(
                [str(DASK), "worker", "--scheduler-file", str(scheduler_file), "--nworkers", "1",
                 "--nthreads", "1", "--no-dashboard", "--name", f"w{i}", "--host", "127.0.0.1"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        from distributed import Client

        with Client(scheduler_file=str(scheduler_file), timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
            yield client
    finally:
        for p in reversed(procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def test_the_flow_on_a_dask_cluster_builds_the_same_warehouse_as_a_local_run(cluster, tmp_path, monkeypatch):
    from distributed import get_task_stream

    from flows.nightly import nightly_ingest

    monkeypatch.setenv("NEWSFLOW_MAP_SIZE", "4")
    local_db, dask_db = tmp_path / "local.duckdb", tmp_path / "dask.duckdb"
    local = nightly_ingest(db_path=str(local_db))
    with get_task_stream(cluster) as stream:
        distributed = nightly_ingest(db_path=str(dask_db), runner="dask", dask_address=cluster.scheduler.address)

    # the mapped stages ran on both workers of the cluster
    ran = [(t["key"] if isinstance(t["key"], str) else str(t["key"]), t["worker"]) for t in stream.data]
    stages = {key.split("-")[0] for key, _ in ran}
    assert stages == {"clean_task", "fingerprint_task", "extract_events_task"}, stages
    assert len({worker for _, worker in ran}) == 2
    assert len([k for k, _ in ran if k.startswith("clean_task-")]) == 7  # 25 seed documents / 4 per task

    # and the result is the same as a local run's
    assert (distributed.articles_new, distributed.events_extracted) == (local.articles_new, local.events_extracted)
    a, b = warehouse_contents(local_db), warehouse_contents(dask_db)
    assert a.keys() == b.keys() and a["staging.event_mentions"]
    for table in a:
        assert a[table] == b[table], table


def test_bad_runner_settings_fail_in_one_line():
    from tasks.errors import ConfigError
    from tasks.settings import Settings

    with pytest.raises(ConfigError, match="NEWSFLOW_DASK_ADDRESS must look like tcp://HOST:PORT"):
        Settings.from_env({"NEWSFLOW_DASK_ADDRESS": "localhost:8786"})
    with pytest.raises(ConfigError, match="NEWSFLOW_RUNNER must be one of threads, processes, dask"):
        Settings.from_env({"NEWSFLOW_RUNNER": "spark"})
