"""Run summaries: counting what a run did, timing its stages, and showing the result."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import asdict, replace
from typing import Iterator, Sequence

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from tasks.records import WARNING_REASONS, Article, DedupDecision, Event, Failure, RunSummary


class StageTimer:
    """Wall-clock seconds per named stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.started = time.perf_counter()

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = round(self.seconds.get(stage, 0.0) + time.perf_counter() - t0, 4)

    def elapsed(self) -> float:
        return round(time.perf_counter() - self.started, 3)


def summarize(
    run_id: str,
    started_at: str,
    finished_at: str,
    sources_read: int,
    documents_read: int,
    articles: Sequence[Article],
    decisions: Sequence[DedupDecision],
    events: Sequence[Event],
    failures: Sequence[Failure],
    timer: StageTimer,
    source_status: dict[str, int] | None = None,
) -> RunSummary:
    duplicates = sum(1 for d in decisions if d.duplicate_of)
    return RunSummary(
        run_id=run_id,
        started_at=started_at,
        finished_at=finished_at,
        status="completed",
        sources_read=sources_read,
        documents_read=documents_read,
        articles_new=len(articles) - duplicates,
        articles_duplicate=duplicates,
        articles_failed=sum(1 for f in failures if f.reason not in WARNING_REASONS),
        events_extracted=len(events),
        seconds=timer.elapsed(),
        stage_seconds=dict(timer.seconds),
        source_status=dict(source_status or {}),
    )


SUMMARY_FIELDS = [
    ("sources_read", "sources read"),
    ("documents_read", "documents read"),
    ("articles_new", "articles new"),
    ("articles_duplicate", "articles duplicate"),
    ("articles_failed", "documents failed"),
    ("events_extracted", "events extracted"),
    ("seconds", "seconds"),
]


def summary_rows(summary: RunSummary) -> list[dict[str, object]]:
    values = asdict(summary)
    return [{"measure": label, "value": values[key]} for key, label in SUMMARY_FIELDS]


def format_summary(summary: RunSummary) -> str:
    """The lines `newsflow ingest` prints."""
    lines = [f"run {summary.run_id}: {summary.status}"]
    width = max(len(label) for _, label in SUMMARY_FIELDS)
    values = asdict(summary)
    for key, label in SUMMARY_FIELDS:
        lines.append(f"  {label:<{width}}  {values[key]}")
    if summary.source_status:
        status = ", ".join(f"{v} {k}" for k, v in sorted(summary.source_status.items()))
        lines.append(f"  {'live sources':<{width}}  {status}")
    if summary.stage_seconds:
        stages = ", ".join(f"{k} {v:.2f}s" for k, v in summary.stage_seconds.items())
        lines.append(f"  {'stage times':<{width}}  {stages}")
    return "\n".join(lines)


def with_load_time(summary: RunSummary, timer: StageTimer) -> RunSummary:
    return replace(summary, seconds=timer.elapsed(), stage_seconds=dict(timer.seconds))


@task(name="publish-summary", cache_policy=NO_CACHE)
def publish_summary_task(summary: RunSummary) -> None:
    """Leave a table artifact with the run's counts in the Prefect UI."""
    create_table_artifact(
        key="nightly-ingest-summary",
        table=summary_rows(summary),
        description=f"newsflow run {summary.run_id}",
    )
