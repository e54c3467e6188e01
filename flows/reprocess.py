"""Reprocessing: recompute stages from what the warehouse already holds, fetching nothing.

Three stages, each run a page at a time: read the page (read-only), recompute it with the same
pure functions the nightly flow uses, and replace the page's rows in one transaction (a writer in
``tasks.load``). Asking for a stage redoes the stages after it too (``tasks.reprocess.stages_from``):

- ``reprocess_clean`` cleans every stored raw document again (pages of raw documents, by raw_id)
  and replaces its article in staging.articles and its clean failure in ops.failures. A document
  that no longer cleans loses its article (and that article's dedup rows and events); one that
  failed before and cleans now gains one.
- ``reprocess_dedup`` recomputes signatures, band keys, URL keys, text hashes and duplicate
  decisions of every stored article, run by run in the order the runs were loaded: each run is one
  batch, decided against the articles of the runs before it, as its night decided it. Within a run
  the articles the stored decisions call originals come first (the night saw an original before
  its copies), then by source and locator. An article that becomes a duplicate loses its events.
- ``reprocess_events`` re-extracts the events of every stored unique article (pages by article_id)
  and replaces their mentions.

Every row keeps the run of the raw document or article it belongs to (the run that stored it), and
every id is deterministic, so redoing a stage with unchanged code writes the very same rows:
running twice changes nothing. A crash leaves every page either as it was or fully redone; running
the same command again completes the work. The tables derived from the mentions
(staging.event_clusters, marts.events) are refilled once, at the end, in a transaction of their
own (refilling them after every page would cost a full refill per page); until then, or after an
interrupted run until the next write, they describe the mentions as they were. The whole reprocessing holds the run lock, so it never
overlaps a nightly run on this machine.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Callable

from tasks.dedup import dedup_batch
from tasks.events import extract_events
from tasks.load import refresh_events, replace_articles, replace_dedup, replace_events
from tasks.reprocess import PriorIndex, article_of, clean_page, stages_from
from tasks.settings import Settings
from tasks.warehouse import read_rows

__all__ = ["CleanSummary", "DedupSummary", "ReprocessSummary", "reprocess", "reprocess_clean",
           "reprocess_dedup", "reprocess_events", "stages_from", "work_counts"]


@dataclass(frozen=True)
class ReprocessSummary:
    run_id: str
    articles: int
    mentions_before: int
    mentions_after: int


@dataclass(frozen=True)
class CleanSummary:
    documents: int  # raw documents cleaned again
    articles: int  # of them, articles now
    failures: int  # of them, clean failures now
    changed: int  # articles whose text changed
    new: int  # documents that have an article now and had none
    removed: int  # documents that had an article and no longer clean


@dataclass(frozen=True)
class DedupSummary:
    runs: int
    articles: int
    duplicates_before: int
    duplicates_after: int
    changed: int  # articles whose decision (duplicate of what, and why) changed


def work_counts(settings: Settings) -> dict[str, int]:
    """How many units each stage goes through: {"clean": documents, "dedup": articles, "events": unique articles}."""
    rows = read_rows(settings.db_path, "reprocess_counts", [])
    r = rows[0] if rows else {"documents": 0, "articles": 0, "unique_articles": 0}
    return {"clean": r["documents"], "dedup": r["articles"], "events": r["unique_articles"]}


def reprocess_clean(settings: Settings, page_size: int = 500,
                    progress: Callable[[int], None] | None = None, *, refresh: bool = True) -> CleanSummary:
    """Clean every stored raw document again. ``progress(documents done)`` after each page;
    ``refresh``: refill the event tables at the end."""
    after, docs, arts, fails, changed, new, removed = "", 0, 0, 0, 0, 0, 0
    while rows := read_rows(settings.db_path, "reprocess_raw_page", [after, page_size]):
        page = clean_page(rows)
        replace_articles(settings.db_path, page.raw_ids, page.articles, page.keys, page.failures,
                         page.failure_ids, page.runs, refresh=False)
        docs += len(rows)
        arts += len(page.articles)
        fails += len(page.failures)
        changed, new, removed = changed + page.changed, new + page.new, removed + page.removed
        after = rows[-1]["raw_id"]
        if progress:
            progress(docs)
    if refresh and docs:
        refresh_events(settings.db_path)
    return CleanSummary(docs, arts, fails, changed, new, removed)


def reprocess_dedup(settings: Settings, progress: Callable[[int], None] | None = None, *,
                    refresh: bool = True) -> DedupSummary:
    """Recompute dedup for every stored article, run by run. ``progress(articles done)`` after each
    run; ``refresh``: refill the event tables at the end."""
    runs = [r["run_id"] for r in read_rows(settings.db_path, "reprocess_runs", [])]
    done: list[str] = []
    n, before, after, changed = 0, 0, 0, 0
    for run in runs:
        rows = read_rows(settings.db_path, "reprocess_run_articles", [run])
        articles = [article_of(r) for r in rows]
        with PriorIndex(settings.db_path, done) as index:
            decisions, fingerprints = dedup_batch(
                articles, index, threshold=settings.near_dup_threshold, k=settings.shingle_size)
        replace_dedup(settings.db_path, [a.article_id for a in articles], decisions, fingerprints,
                      {r["article_id"]: r["run_id"] for r in rows}, refresh=False)
        before += sum(1 for r in rows if r["duplicate_of"])
        after += sum(1 for d in decisions if d.duplicate_of)
        changed += sum(1 for r, d in zip(rows, decisions) if (r["duplicate_of"], r["reason"]) != (d.duplicate_of, d.reason))
        n += len(rows)
        done.append(run)
        if progress:
            progress(n)
    if refresh and runs:
        refresh_events(settings.db_path)
    return DedupSummary(len(runs), n, before, after, changed)


def reprocess_events(settings: Settings, page_size: int = 500,
                     progress: Callable[[int, int], None] | None = None, *, refresh: bool = True) -> ReprocessSummary:
    """Re-extract the events of all stored unique articles. ``progress(articles, mentions)`` after
    each page; ``refresh``: refill the event tables at the end."""
    run_id = f"reprocess-{uuid.uuid4()}"
    after, n_articles, before, mentions = "", 0, 0, 0
    while page := read_rows(settings.db_path, "unique_articles_page", [after, page_size]):
        events = [e for r in page for e in extract_events(r["article_id"], r["text"], r["published"])]
        before += replace_events(settings.db_path, [r["article_id"] for r in page], events,
                                 {r["article_id"]: r["run_id"] for r in page}, refresh=False)
        n_articles += len(page)
        mentions += len(events)
        after = page[-1]["article_id"]
        if progress:
            progress(n_articles, mentions)
    if refresh and n_articles:
        refresh_events(settings.db_path)
    return ReprocessSummary(run_id, n_articles, before, mentions)


Progress = Callable[[str, int], Callable[[int], None]]


def reprocess(settings: Settings, stages: tuple[str, ...], page_size: int = 500,
              progress: Progress | None = None) -> dict[str, object]:
    """Run the given stages in order (see ``stages_from``), holding the run lock. ``progress(stage,
    total)`` is called as each stage starts and returns a callback taking the units done so far.
    Returns {stage: its summary}."""
    from tasks.runlock import run_lock

    out: dict[str, object] = {}
    with run_lock(settings):
        for stage in stages:
            total = work_counts(settings)[stage]
            tick = progress(stage, total) if progress else None
            if stage == "clean":
                out[stage] = reprocess_clean(settings, page_size, tick, refresh=False)
            elif stage == "dedup":
                out[stage] = reprocess_dedup(settings, tick, refresh=False)
            else:
                out[stage] = reprocess_events(settings, page_size, (lambda a, m: tick(a)) if tick else None,
                                              refresh=False)
        if stages:
            refresh_events(settings.db_path)  # the event tables, once, from the final mentions
    return out
