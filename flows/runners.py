"""Where the CPU-heavy mapped tasks run: a thread pool, a process pool, or a Dask cluster.

``NEWSFLOW_RUNNER`` (or ``newsflow ingest --runner``) picks it:

- ``threads`` (default): Prefect's ThreadPoolTaskRunner in the flow's own process;
- ``processes``: Prefect's ProcessPoolTaskRunner, one process per core;
- ``dask``: prefect-dask's DaskTaskRunner, on the scheduler at ``NEWSFLOW_DASK_ADDRESS``
  (``tcp://HOST:PORT``), or on a LocalCluster of ``NEWSFLOW_WORKERS`` single-threaded worker
  processes (default: one per core) started for the run.

Only cleaning, fingerprinting and event extraction run there: what they get is raw bytes or
articles and what they return is records. Sources, dedup decisions and the load stay in the flow's
process (the load is the single writer; no worker ever opens the warehouse).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from tasks.settings import Settings


def worker_count(settings: Settings) -> int:
    return settings.workers or os.cpu_count() or 1


def slice_size(settings: Settings) -> int:
    """Documents per mapped task: NEWSFLOW_MAP_SIZE, or by default the batch shared out evenly, one
    slice per worker. Every Prefect task run costs about 0.3-0.5 s of CPU between the worker and the
    flow (its context, states and events), so few big slices beat many small ones: 4,000 articles
    on 2 Dask workers took 54 s in slices of 200 and 32 s in slices of 1,000 (bench/README.md)."""
    return settings.map_size or max(1, -(-settings.batch_size // worker_count(settings)))


def task_runner(settings: Settings) -> TaskRunner:
    """The task runner for the mapped stages, as the settings ask."""
    if settings.runner == "dask":
        from prefect_dask import DaskTaskRunner  # only imported when asked for

        if settings.dask_address:
            return DaskTaskRunner(address=settings.dask_address)
        return DaskTaskRunner(cluster_kwargs={
            "n_workers": worker_count(settings), "threads_per_worker": 1, "processes": True,
            "dashboard_address": None,
        })
    if settings.runner == "processes":
        return ProcessPoolTaskRunner(max_workers=worker_count(settings))
    return ThreadPoolTaskRunner(max_workers=worker_count(settings))


@contextmanager
def api_for_workers(settings: Settings) -> Iterator[str | None]:
    """Task runs in other processes report to Prefect's API. When no API is configured
    (``PREFECT_API_URL`` unset: Prefect would run an ephemeral server inside this process only),
    start a temporary local server for the run and point the run, and so its workers, at it."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if settings.runner == "threads" or PREFECT_API_URL.value():
        yield PREFECT_API_URL.value()
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start(timeout=120)
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            yield server.api_url
    finally:
        server.stop()
