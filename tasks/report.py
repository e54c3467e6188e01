"""Run summaries: counting what a run did, timing its stages, and showing the result."""

from __future__ import annotations

import json
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Iterator, Mapping, Sequence

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from tasks.records import (
    WARNING_REASONS, Article, DedupDecision, Event, Failure, RawDocument, RunSummary, Source, SourceRun,
)


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
    sources: Sequence[SourceRun] = (),
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
        sources=tuple(sources),
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


# --------------------------------------------------------------------------- the run report


def _cell(value: object, width: int = 120) -> str:
    """A markdown table cell: one line, pipes escaped, at most ``width`` characters."""
    text = " ".join(("" if value is None else str(value)).split())
    if len(text) > width:
        text = text[: width - 1] + "…"
    return text.replace("|", "\\|")


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], right: Sequence[int] = ()) -> list[str]:
    align = ["---:" if i in right else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def failure_groups(failures: Sequence[Failure]) -> list[tuple[str, str, int, Failure]]:
    """(stage, reason, count, first example) per kind of failure, the most frequent first."""
    groups: dict[tuple[str, str], list[Failure]] = {}
    for f in failures:
        groups.setdefault((f.stage, f.reason), []).append(f)
    return sorted(((stage, reason, len(fs), fs[0]) for (stage, reason), fs in groups.items()),
                  key=lambda g: (-g[2], g[0], g[1]))


def run_report_markdown(summary: RunSummary, failures: Sequence[Failure]) -> str:
    """The run's report as markdown (the Prefect artifact): counts, per-source status, failures
    by reason, and time per stage."""
    lines = [f"# newsflow run {_cell(summary.run_id)}: {summary.status}", "",
             f"Started {summary.started_at}, finished {summary.finished_at}, {summary.seconds:.2f} s.", "",
             "## Counts", ""]
    values = asdict(summary)
    lines += _table(["measure", "value"], [(label, values[key]) for key, label in SUMMARY_FIELDS[:-1]], right=[1])

    lines += ["", "## Sources", ""]
    if summary.sources:
        per_source = Counter(f.source for f in failures if f.reason not in WARNING_REASONS)
        lines += _table(
            ["source", "kind", "status", "documents", "failures", "first error"],
            [(s.name, s.kind, s.status, s.documents, max(per_source.get(s.name, 0), s.failures), s.error or "")
             for s in summary.sources],
            right=[3, 4])
        lines += ["", "Failures count every stage (a source's own and its documents' cleaning)."]
    elif summary.source_status:
        lines += _table(["status", "live sources"], sorted(summary.source_status.items()), right=[1])
    else:
        lines.append("No per-source status was recorded.")

    lines += ["", "## Failures by reason", ""]
    groups = failure_groups(failures)
    if groups:
        lines += _table(
            ["stage", "reason", "count", "example"],
            [(stage, reason + (" (warning)" if reason in WARNING_REASONS else ""), n,
              f"{f.source}: {f.locator}: {f.detail}" if f.detail else f"{f.source}: {f.locator}")
             for stage, reason, n, f in groups],
            right=[2])
    else:
        lines.append("No failures.")

    lines += ["", "## Time per stage", ""]
    if summary.stage_seconds:
        total = summary.seconds or sum(summary.stage_seconds.values()) or 1.0
        rows = [(stage, f"{sec:.2f}", f"{100 * sec / total:.0f}%") for stage, sec in summary.stage_seconds.items()]
        rows.append(("total", f"{summary.seconds:.2f}", ""))
        lines += _table(["stage", "seconds", "share"], rows, right=[1, 2])
    else:
        lines.append("No stage times were recorded.")
    return "\n".join(lines) + "\n"


REPORT_KEY = "nightly-ingest-report"


@task(name="publish-report", cache_policy=NO_CACHE)
def publish_report_task(summary: RunSummary, failures: Sequence[Failure]) -> str:
    """Leave the run's markdown report (``run_report_markdown``) as a Prefect artifact; returns it."""
    markdown = run_report_markdown(summary, failures)
    create_markdown_artifact(markdown=markdown, key=REPORT_KEY, description=f"newsflow run {summary.run_id}")
    return markdown


# --------------------------------------------------------------------------- `newsflow runs`

RUNS_COLUMNS = ["run_id", "started_at", "status", "seconds", "documents", "new", "duplicate", "failed",
                "events", "sources"]
_JSON_COLUMNS = ("stage_seconds", "source_status", "sources")


def run_records(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> list[dict[str, Any]]:
    """ops.runs rows (every column, as ``recent_runs`` gives them) as dicts: timestamps as ISO 8601
    UTC, JSON columns parsed. Columns a warehouse lacks (older migrations) are simply absent."""
    out = []
    for row in rows:
        rec = dict(zip(columns, row))
        for key in ("started_at", "finished_at"):
            if isinstance(rec.get(key), datetime):
                rec[key] = rec[key].astimezone(timezone.utc).isoformat()
        for key in _JSON_COLUMNS:
            if isinstance(rec.get(key), str):
                rec[key] = json.loads(rec[key])
        out.append(rec)
    return out


def sources_cell(rec: Mapping[str, Any]) -> str:
    """One run's sources in a few words: "3 ok, 1 failed (bbc: http-503)"."""
    sources = rec.get("sources") or []
    if sources:
        counts = Counter(s["status"] for s in sources)
        text = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        bad = [f"{s['name']}: {s['error']}" for s in sources if s.get("error") and s["status"] != "ok"]
        return text + (f" ({'; '.join(bad)})" if bad else "")
    status = rec.get("source_status") or {}
    return ", ".join(f"{n} {k}" for k, n in sorted(status.items()))


def runs_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> tuple[list[str], list[tuple]]:
    """The columns and rows `newsflow runs` prints as a table."""
    table = []
    for rec in run_records(columns, rows):
        table.append((rec["run_id"], rec["started_at"].replace("T", " ")[:19] if rec.get("started_at") else "",
                      rec["status"], f"{rec['seconds']:.1f}", rec["documents_read"], rec["articles_new"],
                      rec["articles_duplicate"], rec["articles_failed"], rec["events_extracted"],
                      sources_cell(rec)))
    return RUNS_COLUMNS, table


# --------------------------------------------------------------------------- adding up a run's batches


@dataclass
class RunTotals:
    """What a run's batches did, added up batch by batch (counts, and the failures), so a night
    of any size is summarized without holding its articles."""

    documents_read: int = 0
    articles: int = 0
    duplicates: int = 0
    events: int = 0
    failures: list[Failure] = field(default_factory=list)
    documents_per_source: Counter = field(default_factory=Counter)

    def add(self, read: Sequence[RawDocument], articles: Sequence[Article], decisions: Sequence[DedupDecision],
            events: Sequence[Event], failures: Sequence[Failure]) -> None:
        self.documents_read += len(read)
        self.documents_per_source.update(d.source for d in read)
        self.articles += len(articles)
        self.duplicates += sum(1 for d in decisions if d.duplicate_of)
        self.events += len(events)
        self.failures.extend(failures)

    def source_runs(self, sources: Sequence[Source], live: Mapping[str, Any]) -> tuple[SourceRun, ...]:
        """How each source went: a live source by its ``SourceResult``, a folder by what was read."""
        out = []
        for s in sources:
            r = live.get(s.name)
            fails = [f for f in self.failures if f.source == s.name and f.reason not in WARNING_REASONS]
            missing = any(f.stage == "source" and f.reason == "not-found" for f in fails)  # the folder itself
            status = r.status if r is not None else ("failed" if missing else "ok")
            out.append(SourceRun(s.name, s.kind, status, self.documents_per_source.get(s.name, 0), len(fails),
                                 fails[0].reason if fails else None))
        return tuple(out)

    def summary(self, run_id: str, started_at: str, finished_at: str, sources: Sequence[Source],
                live: Mapping[str, Any], timer: StageTimer, source_status: dict[str, int]) -> RunSummary:
        return RunSummary(
            run_id=run_id, started_at=started_at, finished_at=finished_at, status="completed",
            sources_read=len(sources), documents_read=self.documents_read,
            articles_new=self.articles - self.duplicates, articles_duplicate=self.duplicates,
            articles_failed=sum(1 for f in self.failures if f.reason not in WARNING_REASONS),
            events_extracted=self.events, seconds=timer.elapsed(), stage_seconds=dict(timer.seconds),
            source_status=dict(source_status), sources=self.source_runs(sources, live),
        )
