"""The nightly_ingest flow: sources -> clean -> dedup -> events -> load. Wiring only."""

from __future__ import annotations

from pathlib import Path

from prefect import flow
from prefect.runtime import flow_run

from tasks.clean import clean_task
from tasks.dedup import dedup_warehouse_task, unique_articles
from tasks.events import extract_events_task
from tasks.load import Batch, load_task
from tasks.records import RunSummary
from tasks.report import StageTimer, publish_summary_task, summarize, with_load_time
from tasks.settings import Settings
from tasks.sources import (
    load_sources_task, now_utc, outcome, read_source_task, retry_delays, select_new_task,
)
from tasks.warehouse import check_writable


@flow(name="nightly_ingest", log_prints=True)
def nightly_ingest(sources_file: str | None = None, db_path: str | None = None) -> RunSummary:
    """Read every source, clean, de-duplicate, extract events and load one batch into DuckDB."""
    settings = Settings.from_env(sources_file=sources_file, db_path=db_path)
    timer, started_at, run_id = StageTimer(), now_utc(), str(flow_run.get_id() or started_at)
    check_writable(settings.db_path)

    with timer("sources"):
        sources = load_sources_task(Path(settings.sources_file))
        reader = read_source_task.with_options(retries=settings.retries, retry_delay_seconds=retry_delays(settings))
        futures = [reader.submit(s, started_at, settings) for s in sources]
        results = [outcome(s, f.result(raise_on_failure=False)) for s, f in zip(sources, futures)]
        documents, failures = select_new_task(results, settings.db_path)
    with timer("clean"):
        articles, clean_failures = clean_task(documents)
    with timer("dedup"):
        decisions, fingerprints = dedup_warehouse_task(articles, settings)
    with timer("events"):
        events = extract_events_task(unique_articles(articles, decisions))

    all_failures = failures + clean_failures
    summary = summarize(
        run_id, started_at, now_utc(), len(sources), sum(len(r.documents) for r in results),
        articles, decisions, events, all_failures, timer,
    )
    batch = Batch(run_id, tuple(documents), tuple(articles), tuple(decisions),
                  tuple(fingerprints), tuple(events), tuple(all_failures))
    with timer("load"):
        load_task(settings.db_path, batch, summary)
    summary = with_load_time(summary, timer)
    publish_summary_task(summary)
    return summary


if __name__ == "__main__":
    print(nightly_ingest())
