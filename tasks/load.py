"""The one writer: loads a run's batch into DuckDB in a single transaction.

Every row carries a deterministic key and is inserted with ON CONFLICT DO NOTHING, so loading
the same batch twice changes nothing, and a crash before COMMIT leaves no part of the batch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

import duckdb
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.log import run_logger
from tasks.errors import WarehouseError
from tasks.fetch import RobotsEntry
from tasks.records import Article, DedupDecision, Event, Failure, Fingerprint, RawDocument, RunSummary
from tasks.sources import EntryRecord, SourceState
from tasks.warehouse import check_writable, connect, migrate, sql

T = TypeVar("T")
CHUNK_ROWS = 500  # at most this many rows per INSERT statement ...
CHUNK_BYTES = 8_000_000  # ... and about this many bytes of text/BLOB; all share one transaction


@dataclass(frozen=True)
class Batch:
    """Everything one run produced, ready to be written."""

    run_id: str
    documents: tuple[RawDocument, ...] = ()
    articles: tuple[Article, ...] = ()
    decisions: tuple[DedupDecision, ...] = ()
    fingerprints: tuple[Fingerprint, ...] = ()
    events: tuple[Event, ...] = ()
    failures: tuple[Failure, ...] = ()
    source_states: tuple[SourceState, ...] = ()  # live sources' state after tonight
    entries: tuple[EntryRecord, ...] = ()  # feed entries fetched tonight
    robots: tuple[RobotsEntry, ...] = ()  # robots.txt files fetched tonight


def parse_timestamp(value: str | None) -> datetime | None:
    """An ISO 8601 date or datetime as an aware UTC datetime (naive values are taken as UTC)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def unique_by(items: Iterable[T], key: Callable[[T], object]) -> list[T]:
    """Keep the first item per key (DuckDB would silently keep one of two same-key rows anyway)."""
    seen: set[object] = set()
    out = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def chunks(rows: list[tuple], max_rows: int, max_bytes: int) -> Iterable[list[tuple]]:
    """Consecutive runs of rows, each within max_rows and (but for a single huge row) max_bytes."""
    chunk: list[tuple] = []
    size = 0
    for row in rows:
        row_size = sum(len(v) for v in row if isinstance(v, (str, bytes)))
        if chunk and (len(chunk) >= max_rows or size + row_size > max_bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append(row)
        size += row_size
    if chunk:
        yield chunk


def event_rows(events: Iterable[Event], run: str) -> list[tuple]:
    """The parameter rows of insert_events."""
    return [
        (e.mention_id, e.article_id, e.sentence_idx, e.sentence, e.sentence_start, e.sentence_end,
         e.event_type, e.mode, e.trigger, e.actor_text, e.actor_name, e.actor_country,
         e.actor_sector, e.recipient_text, e.recipient_name, e.recipient_country,
         e.recipient_sector, parse_date(e.event_date), e.date_precision, e.place_name,
         e.place_country, e.dead, e.injured, e.reported_only, e.confidence,
         e.extractor_version, run, e.cameo_root, e.quad_class, e.dictionary_version, e.place_admin1,
         e.place_lat, e.place_lon, e.place_precision, e.arrested)
        for e in events
    ]


def replace_events(db_path: Path, article_ids: Sequence[str], events: Sequence[Event], run_id: str) -> int:
    """Replace the event mentions of these articles with ``events``, in one transaction (the
    reprocessing writer). Returns how many mentions the articles had before."""
    db_path = Path(db_path)
    check_writable(db_path)
    rows = event_rows(unique_by(events, lambda e: e.mention_id), run_id)
    with _transaction(db_path, "replacing events in") as con:
        migrate(con)
        before = con.execute(sql("count_event_mentions"), [list(article_ids)]).fetchone()[0]
        con.execute(sql("delete_event_mentions"), [list(article_ids)])
        for chunk in chunks(rows, CHUNK_ROWS, CHUNK_BYTES):
            con.execute(sql("insert_events"), [list(col) for col in zip(*chunk)])
    return before


def batch_rows(batch: Batch, summary: RunSummary) -> dict[str, list[tuple]]:
    """The parameter rows for each insert statement, de-duplicated by key."""
    run = batch.run_id
    fps = {f.article_id: f for f in batch.fingerprints}
    docs = unique_by(batch.documents, lambda d: d.raw_id)
    arts = unique_by(batch.articles, lambda a: a.article_id)
    dups = unique_by((d for d in batch.decisions if d.duplicate_of), lambda d: d.article_id)
    bands = unique_by(
        ((k, f.article_id) for f in fps.values() if f.signature for k in f.band_keys), lambda r: r
    )
    events = unique_by(batch.events, lambda e: e.mention_id)
    fails = unique_by(batch.failures, lambda f: f.failure_id)
    return {
        "insert_raw_documents": [
            (d.raw_id, d.source, d.locator, d.kind, d.url, d.title, d.published, list(d.authors), d.content_hash,
             d.body, parse_timestamp(d.fetched_at), run, d.encoding, d.entry_key, d.entry_updated, d.version,
             d.published_is_fetch_time)
            for d in docs
        ],
        "insert_feed_entries": [
            (e.entry_id, e.source, e.entry_key, e.link_key, e.updated, e.version, e.raw_id,
             parse_timestamp(e.first_seen_at), run)
            for e in unique_by(batch.entries, lambda e: e.entry_id)
        ],
        "upsert_source_state": [
            (s.source, s.location, s.etag, s.last_modified, parse_timestamp(s.last_fetch_at), s.last_status,
             s.last_error, s.consecutive_failures, parse_timestamp(s.next_fetch_after), run)
            for s in unique_by(reversed(batch.source_states), lambda s: s.source)  # the last state wins
        ],
        "upsert_robots": [
            (r.origin, r.status, r.body, parse_timestamp(r.fetched_at))
            for r in unique_by(reversed(batch.robots), lambda r: r.origin)
        ],
        "insert_articles": [
            (a.article_id, a.raw_id, a.source, a.url, a.canonical_url,
             fps[a.article_id].canonical_url if a.article_id in fps else None,
             a.title, list(a.authors), parse_timestamp(a.published), parse_date(a.published),
             a.published_source, a.language, a.site_name, a.text,
             fps[a.article_id].text_hash if a.article_id in fps else "",
             len(a.text.split()), run, parse_timestamp(a.modified), a.section, list(a.tags), a.image_url,
             json.dumps(dict(a.field_sources), sort_keys=True))
            for a in arts
        ],
        "insert_duplicates": [(d.article_id, d.duplicate_of, d.reason, d.score, run) for d in dups],
        "insert_lsh_bands": bands,  # before the signatures: it skips articles that have one
        "insert_article_signatures": [
            (f.article_id, f.signature, f.shingle_count, run) for f in fps.values() if f.signature
        ],
        "insert_events": event_rows(events, run),
        "insert_failures": [
            (f.failure_id, f.source, f.locator, f.stage, f.reason, f.detail, run) for f in fails
        ],
        "insert_run": [
            (summary.run_id, parse_timestamp(summary.started_at), parse_timestamp(summary.finished_at),
             summary.status, summary.sources_read, summary.documents_read, summary.articles_new,
             summary.articles_duplicate, summary.articles_failed, summary.events_extracted,
             summary.seconds, json.dumps(summary.stage_seconds, sort_keys=True),
             json.dumps(summary.source_status, sort_keys=True))
        ],
    }


def backfill_signatures(con: duckdb.DuckDBPyConnection, run_id: str, k: int = 3) -> int:
    """Signatures and band keys for articles stored before migration 008 (computed from their
    stored text, in the open transaction). Returns how many articles got one."""
    from tasks.dedup import fingerprint

    n = 0
    # Each round stores the signatures of the rows it read, so the next round reads the next ones.
    while rows := con.execute(sql("articles_without_signature"), [1000]).fetchall():
        fps = [fingerprint(Article(aid, aid, "", url, canonical, title, (), None, None, None, None, text), k)
               for aid, url, canonical, title, text, _ in rows]
        bands = [(key, f.article_id) for f in fps for key in f.band_keys]
        sigs = [(f.article_id, f.signature, f.shingle_count, run_id) for f in fps]
        for name, table_rows in (("insert_lsh_bands", bands), ("insert_article_signatures", sigs)):
            for chunk in chunks(table_rows, CHUNK_ROWS, CHUNK_BYTES):
                con.execute(sql(name), [list(col) for col in zip(*chunk)])
        n += len(fps)
    return n


def load_batch(db_path: Path, batch: Batch, summary: RunSummary) -> list[str]:
    """Write the batch and the run's row in one transaction; returns the migrations applied."""
    db_path = Path(db_path)
    check_writable(db_path)
    rows = batch_rows(batch, summary)
    with _transaction(db_path, "loading the batch into") as con:
        applied = migrate(con)
        if "008_dedup_signatures.sql" in applied:  # articles stored before it get signatures
            backfill_signatures(con, batch.run_id)
        for name, table_rows in rows.items():
            # the rows go in as column lists, a chunk per statement (bounded memory)
            for chunk in chunks(table_rows, CHUNK_ROWS, CHUNK_BYTES):
                con.execute(sql(name), [list(col) for col in zip(*chunk)])
    return applied


@contextmanager
def _transaction(db_path: Path, doing: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """The writer's connection inside one transaction: committed when the block ends, rolled back
    (nothing written) when it raises; a DuckDB or OS error becomes a one-line WarehouseError."""
    with connect(db_path, read_only=False) as con:
        try:
            con.execute("BEGIN TRANSACTION")
            yield con
            con.execute("COMMIT")
        except (duckdb.Error, OSError) as e:
            _rollback(con)
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise WarehouseError(f"{doing} {db_path} failed, nothing was written: {first}") from None
        except BaseException:
            _rollback(con)
            raise


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass


# --------------------------------------------------------------------------- Prefect task


@task(name="load", cache_policy=NO_CACHE)
def load_task(db_path: Path, batch: Batch, summary: RunSummary) -> list[str]:
    applied = load_batch(db_path, batch, summary)
    run_logger().info(
        "loaded %d documents, %d articles, %d events, %d failures into %s%s",
        len(batch.documents), len(batch.articles), len(batch.events), len(batch.failures), db_path,
        f" (migrations applied: {', '.join(applied)})" if applied else "",
    )
    return applied
