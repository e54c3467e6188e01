"""Reprocessing's pure core: what redoing a stage makes of rows the warehouse already holds.

``flows/reprocess.py`` reads a page, calls these, and hands the result to a writer in
``tasks.load``. Nothing here fetches or writes; ``PriorIndex`` only reads.

Which stages run: the earliest one asked for and every stage after it (``stages_from``), since a
stage's output is the next one's input: new text means new signatures and duplicate decisions, and
new decisions mean another set of unique articles to extract events from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Collection, Mapping, Sequence

from tasks.clean import clean_documents
from tasks.dedup import dedup_url, text_hash
from tasks.records import Article, Failure, Fingerprint, RawDocument
from tasks.warehouse import WarehouseIndex, sql

STAGES = ("clean", "dedup", "events")


def stages_from(clean: bool = False, dedup: bool = False, events: bool = False) -> tuple[str, ...]:
    """The stages to redo: the earliest one chosen and all after it; () when none is chosen."""
    chosen = [s for s, on in zip(STAGES, (clean, dedup, events)) if on]
    return STAGES[STAGES.index(chosen[0]):] if chosen else ()


def raw_document_of(row: Mapping[str, Any]) -> RawDocument:
    """A stored raw.documents row (``reprocess_raw_page``) as the RawDocument the source delivered."""
    fetched = row["fetched_at"]
    return RawDocument(
        raw_id=row["raw_id"], source=row["source"], locator=row["locator"], kind=row["kind"],
        body=bytes(row["body"]), fetched_at=fetched.isoformat() if isinstance(fetched, datetime) else str(fetched),
        url=row["url"], title=row["title"], published=row["published"], authors=tuple(row["authors"] or ()),
        encoding=row["encoding"], entry_key=row["entry_key"], entry_updated=row["entry_updated"],
        version=row["version"] or 1, published_is_fetch_time=bool(row["published_is_fetch_time"]),
    )


@dataclass(frozen=True)
class CleanPage:
    """A page of raw documents cleaned again, ready for ``tasks.load.replace_articles``."""

    raw_ids: tuple[str, ...]
    articles: tuple[Article, ...]
    keys: tuple[Fingerprint, ...]  # url_key and text_hash only (dedup redoes the rest)
    failures: tuple[Failure, ...]
    failure_ids: tuple[str, ...]  # the id a clean failure of each document has
    runs: Mapping[str, str]  # article id and failure id -> the run that stored the raw document
    changed: int  # articles whose text differs from the stored one
    new: int  # documents that had no article and now have one
    removed: int  # documents that had an article and no longer clean


def clean_page(rows: Sequence[Mapping[str, Any]]) -> CleanPage:
    """Clean the page's raw documents exactly as the flow does (``clean_documents``)."""
    raws = [raw_document_of(r) for r in rows]
    articles, failures = clean_documents(raws)
    run_of = {r["raw_id"]: r["run_id"] for r in rows}
    failure_ids = {Failure.of(d.source, d.locator, "clean", "").failure_id: d.raw_id for d in raws}
    stored = {r["raw_id"]: r["stored_text"] for r in rows}
    cleaned = {a.article_id: a.text for a in articles}
    runs = {**run_of, **{fid: run_of[raw_id] for fid, raw_id in failure_ids.items()}}
    return CleanPage(
        raw_ids=tuple(d.raw_id for d in raws),
        articles=tuple(articles),
        keys=tuple(Fingerprint(a.article_id, dedup_url(a), text_hash(a.text), ()) for a in articles),
        failures=tuple(failures),
        failure_ids=tuple(failure_ids),
        runs=runs,
        changed=sum(1 for aid, text in cleaned.items() if stored[aid] is not None and stored[aid] != text),
        new=sum(1 for aid in cleaned if stored[aid] is None),
        removed=sum(1 for rid, text in stored.items() if text is not None and rid not in cleaned),
    )


def article_of(row: Mapping[str, Any]) -> Article:
    """A stored article (``reprocess_run_articles``) with what dedup reads: URLs, title, text."""
    return Article(row["article_id"], row["raw_id"], row["source"], row["url"], row["canonical_url"],
                   row["title"], (), None, None, None, None, row["text"])


class PriorIndex(WarehouseIndex):
    """The dedup index over the articles of the given earlier runs only (as the night that loaded
    the current run saw the warehouse), with their current decisions, URL keys and signatures."""

    PRIOR = {"find_by_url_keys", "find_by_text_hashes", "band_matches"}

    def __init__(self, db_path: Any, prior_runs: Sequence[str]):
        super().__init__(db_path)
        self.prior_runs = list(prior_runs)

    def _rows(self, name: str, values: Collection) -> list[tuple]:
        if name not in self.PRIOR:
            return super()._rows(name, values)
        con = self._connection()
        if con is None or not values or not self.prior_runs:
            return []
        return con.execute(sql(f"{name}_prior"), [list(values), self.prior_runs]).fetchall()
