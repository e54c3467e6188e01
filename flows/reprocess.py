"""Reprocessing: recompute a stage from what the warehouse already holds, fetching nothing.

``reprocess_events`` re-extracts the events of every stored unique article (after the extractor
or the dictionaries changed), a page of articles at a time: read the page (read-only), extract
(the pure ``tasks.events.extract_events``), and replace the page's mentions in one transaction
(``tasks.load.replace_events``, the writer). Mention ids are deterministic, so running it twice
changes nothing, and a crash leaves every page either as it was or fully redone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Callable

from tasks.events import extract_events
from tasks.load import replace_events
from tasks.settings import Settings
from tasks.warehouse import read_rows


@dataclass(frozen=True)
class ReprocessSummary:
    run_id: str
    articles: int
    mentions_before: int
    mentions_after: int


def reprocess_events(settings: Settings, page_size: int = 500,
                     progress: Callable[[int, int], None] | None = None) -> ReprocessSummary:
    """Re-extract the events of all stored unique articles. ``progress(articles, mentions)`` after each page."""
    run_id = f"reprocess-{uuid.uuid4()}"
    after, n_articles, before, mentions = "", 0, 0, 0
    while page := read_rows(settings.db_path, "unique_articles_page", [after, page_size]):
        events = [e for r in page for e in extract_events(r["article_id"], r["text"], r["published"])]
        before += replace_events(settings.db_path, [r["article_id"] for r in page], events, run_id)
        n_articles += len(page)
        mentions += len(events)
        after = page[-1]["article_id"]
        if progress:
            progress(n_articles, mentions)
    return ReprocessSummary(run_id, n_articles, before, mentions)
