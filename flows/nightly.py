"""The nightly_ingest flow: sources -> clean -> dedup -> events -> load, batch by batch. Wiring only.

Tonight's documents go through in batches of ``NEWSFLOW_BATCH_SIZE``, each loaded in its own
transaction, so the flow holds one batch at a time however big the night is, and each batch's
dedup sees the batches before it in the warehouse. Within a batch the CPU-heavy stages (cleaning,
fingerprints, event extraction) are mapped over slices of ``NEWSFLOW_MAP_SIZE`` documents (by
default one slice per worker: flows.runners.slice_size) on the task runner that
``NEWSFLOW_RUNNER`` picks (flows/runners.py: threads, processes or Dask); the sources, the dedup
decisions and the load (the single writer) stay in this process.

The flow's own tasks get their big inputs (documents, articles, the batch) ``quote(...)``d:
Prefect hands them over as they are instead of walking every record looking for futures, which
took more than half of the flow's time. The mapped tasks get ``Slice``s (tasks/sources.py), which
Prefect does not walk into either (prefect-dask turns a quoted parameter into a plain tuple).
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, unmapped
from prefect.utilities.annotations import quote
from prefect.runtime import flow_run

from flows.progress import report as report_progress
from flows.runners import slice_size, task_runner
from tasks.backfill import parse_window, window_only
from tasks.clean import clean_task
from tasks.dedup import dedup_warehouse_task, fingerprint_task, unique_articles
from tasks.events import extract_events_task
from tasks.export import export_task, snapshot_task
from tasks.load import Batch, drain_spool_task, load_task, record_run_task, refresh_events_task
from tasks.records import RunSummary
from tasks.report import RunTotals, StageTimer, publish_report_task, publish_summary_task
from tasks.runlock import run_lock
from tasks.settings import Settings
from tasks.sources import (
    close_fetcher_task, fetch_state_task, load_sources_task, new_documents_task, night_batches, now_utc,
    open_fetcher_task, outcome, read_source_task, retry_delays, source_status, split,
)
from tasks.warehouse import check_writable


@flow(name="nightly_ingest", log_prints=True)
def nightly_ingest(sources_file: str | None = None, db_path: str | None = None,
                   published_from: str | None = None, published_to: str | None = None,
                   runner: str | None = None, dask_address: str | None = None) -> RunSummary:
    """Read every source, clean, de-duplicate, extract events and load tonight's batches into
    DuckDB. ``published_from``/``published_to`` (ISO dates, inclusive; a backfill) keep only the
    articles published in that window. ``runner``/``dask_address`` override NEWSFLOW_RUNNER and
    NEWSFLOW_DASK_ADDRESS."""
    settings = Settings.from_env(sources_file=sources_file, db_path=db_path, runner=runner,
                                 dask_address=dask_address)
    window = parse_window(published_from, published_to) if published_from or published_to else (None, None)
    timer, started_at, run_id = StageTimer(), now_utc(), str(flow_run.get_id() or now_utc())
    check_writable(settings.db_path)

    with run_lock(settings):
        drain_spool_task(settings)
        with timer("sources"):
            sources = load_sources_task(Path(settings.sources_file))
            live = [s for s in sources if s.kind != "folder"]
            states, robots = fetch_state_task(settings.db_path, live)
            open_fetcher_task(run_id, settings, robots)
            reader = read_source_task.with_options(retry_delay_seconds=retry_delays(settings),
                                                   retries=1 if settings.retries else 0)
            futures = [reader.submit(s, started_at, settings, states.get(s.name), run_id) for s in live]
            results = [outcome(s, f.result(raise_on_failure=False), states.get(s.name), started_at,
                               settings.source_max_failures) for s, f in zip(live, futures)]
            fetched_robots = close_fetcher_task(run_id)

        totals, k, n = RunTotals(), settings.shingle_size, slice_size(settings)
        by_name = {s.name: r for s, r in zip(live, results)}
        folders = [s for s in sources if s.kind == "folder"]
        with task_runner(settings) as cpu:

            def start(read: list, read_failures: list) -> tuple:
                """Submit a batch's cleaning to the workers (they work on it while the flow
                de-duplicates and loads the batch before). A document of that earlier batch is
                not "known" yet here; met again, it is still stored once (its key is then stored)."""
                docs = new_documents_task(quote(read), settings.db_path).items
                return read, read_failures, docs, cpu.map(clean_task, {"raws": split(docs, n)})

            batches = night_batches(results, folders, started_at, settings.batch_size)
            upcoming = start(*next(batches))  # there is always a first batch, maybe empty
            part = 0
            while upcoming is not None:
                read, read_failures, docs, cleaning = upcoming
                with timer("clean"):
                    cleaned = [f.result() for f in cleaning]
                    articles = [a for arts, _ in cleaned for a in arts]
                    failures = read_failures + [f for _, fails in cleaned for f in fails]
                    if window != (None, None):
                        docs, articles = window_only(docs, articles, *window)
                fingerprinting = cpu.map(fingerprint_task, {"articles": split(articles, n), "k": unmapped(k)})
                following = next(batches, None)
                upcoming = start(*following) if following is not None else None
                with timer("dedup"):
                    prints = [p for f in fingerprinting for p in f.result()]
                    decisions, prints = dedup_warehouse_task(quote(articles), settings, quote(prints))
                with timer("events"):
                    unique = split(unique_articles(articles, decisions), n)
                    events = [e for f in cpu.map(extract_events_task, {"articles": unique}) for e in f.result()]
                totals.add(read, articles, decisions, events, failures)
                summary = totals.summary(run_id, started_at, now_utc(), sources, by_name, timer,
                                         source_status(results))
                first = part == 0
                batch = Batch(run_id, tuple(docs), tuple(articles), tuple(decisions), tuple(prints),
                              tuple(events), tuple(failures),
                              source_states=tuple(r.state for r in results if r.state) if first else (),
                              entries=tuple(e for r in results for e in r.entries) if first else (),
                              robots=tuple(fetched_robots) if first else ())
                with timer("load"):
                    load_task(settings, quote(batch), summary, part)
                report_progress("documents loaded", totals.documents_read)
                part += 1

        with timer("load"):
            refresh_events_task(settings)
        summary = totals.summary(run_id, started_at, now_utc(), sources, by_name, timer, source_status(results))
        record_run_task(settings, summary)
        publish_summary_task(summary)
        publish_report_task(summary, quote(totals.failures))
        export_task(settings)
        snapshot_task(settings)
    return summary


if __name__ == "__main__":
    print(nightly_ingest())
