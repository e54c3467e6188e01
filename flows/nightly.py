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
    close_fetcher_task, fetch_state_task, load_sources_task, now_utc, open_fetcher_task, outcome,
    read_source_task, retry_delays, select_new_task, source_status,
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
        states, robots = fetch_state_task(settings.db_path, sources)
        open_fetcher_task(run_id, settings, robots)
        reader = read_source_task.with_options(retry_delay_seconds=retry_delays(settings),
                                               retries=1 if settings.retries else 0)
        futures = [reader.submit(s, started_at, settings, states.get(s.name), run_id) for s in sources]
        results = [outcome(s, f.result(raise_on_failure=False), states.get(s.name), started_at,
                           settings.source_max_failures) for s, f in zip(sources, futures)]
        fetched_robots = close_fetcher_task(run_id)
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
        articles, decisions, events, all_failures, timer, source_status(results),
    )
    batch = Batch(run_id, tuple(documents), tuple(articles), tuple(decisions),
                  tuple(fingerprints), tuple(events), tuple(all_failures),
                  source_states=tuple(r.state for r in results if r.state),
                  entries=tuple(e for r in results for e in r.entries), robots=tuple(fetched_robots))
    with timer("load"):
        load_task(settings.db_path, batch, summary)
    summary = with_load_time(summary, timer)
    publish_summary_task(summary)
    return summary


if __name__ == "__main__":
    print(nightly_ingest())
