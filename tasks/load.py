"""The one writer: loads a run's batch into DuckDB in a single transaction.

Every row carries a deterministic key and is inserted only when its key is not stored yet (an
ANTI JOIN on the key: the tables that grow every night have no key index, migration 013), so
loading the same batch twice changes nothing, and a crash before COMMIT leaves no part of the batch.

The nightly load (``load_spooled``) first stages the batch on disk, in ``Settings.spool_dir``,
and deletes it only after COMMIT; batches an earlier load left there (killed, disk full, the file
locked by another process) are loaded first, each in its own transaction. While another process
holds the warehouse file, the writer waits and tries again (``Settings.lock_retries`` tries,
``Settings.lock_wait_seconds`` doubled after each), then fails with ``WarehouseLocked``.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import re
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator, Mapping, Sequence, TypeVar

import duckdb
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.log import run_logger
from tasks.errors import WarehouseError, WarehouseLocked
from tasks.fetch import RobotsEntry
from tasks.records import Article, DedupDecision, Event, Failure, Fingerprint, RawDocument, RunSummary
from tasks.sources import EntryRecord, SourceState
from tasks.settings import Settings
from tasks.warehouse import check_writable, migrate, open_error, refresh_event_tables, sql

T = TypeVar("T")
CHUNK_ROWS = 20_000  # at most this many rows per INSERT statement ...
CHUNK_BYTES = 8_000_000  # ... and about this many bytes; all share one transaction. Each statement
# anti-joins its rows against the table's keys (migration 013), so fewer, bigger statements are faster.
VALUE_BYTES = 16  # what a value counts for besides its text or bytes


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
    """Consecutive runs of rows, each within max_rows and (but for a single huge row) max_bytes; a
    row's size is its text and bytes plus VALUE_BYTES a value."""
    chunk: list[tuple] = []
    size = 0
    for row in rows:
        row_size = _row_size(row)
        if chunk and (len(chunk) >= max_rows or size + row_size > max_bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append(row)
        size += row_size
    if chunk:
        yield chunk


def _row_size(row: tuple) -> int:
    size = VALUE_BYTES * len(row)
    for v in row:
        if v.__class__ is str or v.__class__ is bytes:
            size += len(v)
    return size


def event_rows(events: Iterable[Event], run: str | Mapping[str, str]) -> list[tuple]:
    """The parameter rows of insert_events (``run``: one run id, or one per article id)."""
    return [
        (e.mention_id, e.article_id, e.sentence_idx, e.sentence, e.sentence_start, e.sentence_end,
         e.event_type, e.mode, e.trigger, e.actor_text, e.actor_name, e.actor_country,
         e.actor_sector, e.recipient_text, e.recipient_name, e.recipient_country,
         e.recipient_sector, parse_date(e.event_date), e.date_precision, e.place_name,
         e.place_country, e.dead, e.injured, e.reported_only, e.confidence,
         e.extractor_version, _run(run, e.article_id), e.cameo_root, e.quad_class, e.dictionary_version, e.place_admin1,
         e.place_lat, e.place_lon, e.place_precision, e.arrested)
        for e in events
    ]


def replace_events(db_path: Path, article_ids: Sequence[str], events: Sequence[Event],
                   run_id: str | Mapping[str, str], *, refresh: bool = True) -> int:
    """Replace the event mentions of these articles with ``events``, in one transaction (the
    reprocessing writer; ``run_id``: one run id, or each article's). ``refresh``: refill the event
    tables in the same transaction (reprocessing refreshes once at its end instead, ``refresh_events``).
    Returns how many mentions the articles had before."""
    db_path = Path(db_path)
    check_writable(db_path)
    rows = event_rows(unique_by(events, lambda e: e.mention_id), run_id)
    with _transaction(db_path, "replacing events in") as con:
        migrate(con)
        before = con.execute(sql("count_event_mentions"), [list(article_ids)]).fetchone()[0]
        con.execute(sql("delete_event_mentions"), [list(article_ids)])
        for chunk in chunks(rows, CHUNK_ROWS, CHUNK_BYTES):
            con.execute(sql("insert_events"), [list(col) for col in zip(*chunk)])
        if refresh:
            refresh_event_tables(con)
    return before


def _run(run: str | Mapping[str, str], article_id: str) -> str:
    return run if isinstance(run, str) else run[article_id]


def article_rows(articles: Iterable[Article], fps: Mapping[str, Fingerprint],
                 run: str | Mapping[str, str]) -> list[tuple]:
    """The parameter rows of insert_articles (url_key and text_hash from the article's fingerprint)."""
    return [
        (a.article_id, a.raw_id, a.source, a.url, a.canonical_url,
         fps[a.article_id].canonical_url if a.article_id in fps else None,
         a.title, list(a.authors), parse_timestamp(a.published), parse_date(a.published),
         a.published_source, a.language, a.site_name, a.text,
         fps[a.article_id].text_hash if a.article_id in fps else "",
         len(a.text.split()), _run(run, a.article_id), parse_timestamp(a.modified), a.section, list(a.tags),
         a.image_url, json.dumps(dict(a.field_sources), sort_keys=True))
        for a in articles
    ]


def _insert(con: duckdb.DuckDBPyConnection, name: str, rows: list[tuple]) -> None:
    for chunk in chunks(rows, CHUNK_ROWS, CHUNK_BYTES):
        con.execute(sql(name), [list(col) for col in zip(*chunk)])


def replace_articles(db_path: Path, raw_ids: Sequence[str], articles: Sequence[Article],
                     fingerprints: Sequence[Fingerprint], failures: Sequence[Failure],
                     failure_ids: Sequence[str], runs: Mapping[str, str], *, refresh: bool = True) -> None:
    """Reprocessing, clean stage: replace what cleaning made of these raw documents, in one
    transaction. Their articles are replaced (url_key and text_hash from ``fingerprints``); a
    document that no longer cleans loses its article and, with it, the article's duplicate decision,
    signature, band keys and event mentions. Their clean failures (``failure_ids``: the ids a clean
    failure of each document would have) are replaced by ``failures``. ``runs``: the run each row
    belongs to, by article id and by failure id (the run that stored the raw document), so that
    redoing a page with the same code writes the very same rows. ``refresh``: as for replace_events."""
    db_path = Path(db_path)
    check_writable(db_path)
    arts = unique_by(articles, lambda a: a.article_id)
    fps = {f.article_id: f for f in fingerprints}
    fails = unique_by(failures, lambda f: f.failure_id)
    gone = sorted(set(raw_ids) - {a.article_id for a in arts})
    with _transaction(db_path, "replacing articles in") as con:
        migrate(con)
        con.execute(sql("delete_articles"), [list(raw_ids)])
        for name in ("delete_duplicates", "delete_article_signatures", "delete_lsh_bands", "delete_event_mentions"):
            con.execute(sql(name), [gone])
        con.execute(sql("delete_failures"), [list(failure_ids)])
        _insert(con, "insert_articles", article_rows(arts, fps, runs))
        _insert(con, "insert_failures", [(f.failure_id, f.source, f.locator, f.stage, f.reason, f.detail,
                                          runs[f.failure_id]) for f in fails])
        if refresh:
            refresh_event_tables(con)


def replace_dedup(db_path: Path, article_ids: Sequence[str], decisions: Sequence[DedupDecision],
                  fingerprints: Sequence[Fingerprint], runs: Mapping[str, str], *, refresh: bool = True) -> None:
    """Reprocessing, dedup stage: replace the dedup results of these articles, in one transaction:
    their url_key and text_hash, signatures, band keys and duplicate decisions; an article that is
    now a duplicate loses its event mentions (the marts hold the events of unique articles only).
    ``runs``: each article's run, written on its rows. ``refresh``: as for replace_events."""
    db_path = Path(db_path)
    check_writable(db_path)
    ids = list(article_ids)
    fps = unique_by(fingerprints, lambda f: f.article_id)
    dups = unique_by((d for d in decisions if d.duplicate_of), lambda d: d.article_id)
    with _transaction(db_path, "replacing dedup results in") as con:
        migrate(con)
        for name in ("delete_duplicates", "delete_article_signatures", "delete_lsh_bands"):
            con.execute(sql(name), [ids])
        _insert(con, "update_article_keys", [(f.article_id, f.canonical_url, f.text_hash) for f in fps])
        _insert(con, "insert_lsh_bands", unique_by(
            ((k, f.article_id) for f in fps if f.signature for k in f.band_keys), lambda r: r))
        _insert(con, "insert_article_signatures", [
            (f.article_id, f.signature, f.shingle_count, runs[f.article_id]) for f in fps if f.signature])
        _insert(con, "insert_duplicates", [
            (d.article_id, d.duplicate_of, d.reason, d.score, runs[d.article_id]) for d in dups])
        con.execute(sql("delete_event_mentions"), [[d.article_id for d in dups]])
        if refresh:
            refresh_event_tables(con)


def refresh_events(db_path: Path, *, tries: int = 1, wait: float = 0.0) -> None:
    """Refill the event tables (staging.event_clusters, marts.events) in a transaction of their own:
    how a nightly run ends, after all its batches, and how reprocessing ends, after pages written
    with ``refresh=False``."""
    db_path = Path(db_path)
    check_writable(db_path)
    with _transaction(db_path, "refreshing the event tables of", tries=tries, wait=wait) as con:
        migrate(con)
        refresh_event_tables(con)


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
        "insert_articles": article_rows(arts, fps, run),
        "insert_duplicates": [(d.article_id, d.duplicate_of, d.reason, d.score, run) for d in dups],
        "insert_lsh_bands": bands,  # before the signatures: it skips articles that have one
        "insert_article_signatures": [
            (f.article_id, f.signature, f.shingle_count, run) for f in fps.values() if f.signature
        ],
        "insert_events": event_rows(events, run),
        "insert_failures": [
            (f.failure_id, f.source, f.locator, f.stage, f.reason, f.detail, run) for f in fails
        ],
        "insert_run": run_rows(summary),
    }


def run_rows(summary: RunSummary) -> list[tuple]:
    """The parameter row of insert_run (an upsert: a run's later batches update its row)."""
    return [
        (summary.run_id, parse_timestamp(summary.started_at), parse_timestamp(summary.finished_at),
         summary.status, summary.sources_read, summary.documents_read, summary.articles_new,
         summary.articles_duplicate, summary.articles_failed, summary.events_extracted,
         summary.seconds, json.dumps(summary.stage_seconds, sort_keys=True),
         json.dumps(summary.source_status, sort_keys=True),
         json.dumps([asdict(s) for s in getattr(summary, "sources", ())]))  # () in batches spooled before 011
    ]


def record_run(db_path: Path, summary: RunSummary, *, tries: int = 1, wait: float = 0.0) -> None:
    """Write the run's final row to ops.runs (its counts and stage times once every batch and the
    event tables are done; each batch wrote the run's row as it stood then)."""
    db_path = Path(db_path)
    check_writable(db_path)
    with _transaction(db_path, "recording the run in", tries=tries, wait=wait) as con:
        migrate(con)
        _insert(con, "insert_run", run_rows(summary))


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


def load_batch(db_path: Path, batch: Batch, summary: RunSummary, *, tries: int = 1,
               wait: float = 0.0, refresh: bool = True) -> list[str]:
    """Write the batch and the run's row in one transaction; returns the migrations applied.

    While another process holds the file, it tries ``tries`` times in all (see ``open_writer``).
    ``refresh``: regroup the event tables in the same transaction (a full refill); the nightly
    flow loads its batches without and refreshes once after the last (``refresh_events``)."""
    db_path = Path(db_path)
    check_writable(db_path)
    rows = batch_rows(batch, summary)
    with _transaction(db_path, "loading the batch into", tries=tries, wait=wait) as con:
        applied = migrate(con)
        if "008_dedup_signatures.sql" in applied:  # articles stored before it get signatures
            backfill_signatures(con, batch.run_id)
        for name, table_rows in rows.items():
            # the rows go in as column lists, a chunk per statement (bounded memory)
            for chunk in chunks(table_rows, CHUNK_ROWS, CHUNK_BYTES):
                con.execute(sql(name), [list(col) for col in zip(*chunk)])
        if refresh:
            refresh_event_tables(con)
    return applied


@contextmanager
def _transaction(db_path: Path, doing: str, *, tries: int = 1, wait: float = 0.0
                 ) -> Iterator[duckdb.DuckDBPyConnection]:
    """The writer's connection inside one transaction: committed when the block ends, rolled back
    (nothing written) when it raises; a DuckDB or OS error becomes a one-line WarehouseError.

    ``tries``/``wait``: see ``open_writer`` (by default one try: fail at once when locked)."""
    con = open_writer(Path(db_path), doing, tries=tries, wait=wait)
    try:
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
    finally:
        con.close()


def lock_waits(tries: int, wait: float) -> list[float]:
    """The waits between ``tries`` tries: wait, 2*wait, 4*wait, ..."""
    return [wait * 2 ** i for i in range(max(tries, 1) - 1)]


def open_writer(db_path: Path, doing: str, *, tries: int = 1, wait: float = 0.0,
                sleep: Callable[[float], None] | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse for writing. While another process holds the file, try again after
    ``lock_waits(tries, wait)``; then raise WarehouseLocked, one line naming the holder (PID and
    command) and what was tried. Any other failure to open is a WarehouseError at once."""
    waits = lock_waits(tries, wait)
    for attempt in range(len(waits) + 1):
        try:
            return duckdb.connect(str(db_path), read_only=False)
        except (duckdb.Error, OSError) as e:
            error = open_error(e, db_path)
            if not isinstance(error, WarehouseLocked):
                raise error from None
            if attempt == len(waits):
                holder = (f"PID {error.pid}: {error.command}" if error.pid is not None
                          else (str(e).strip().splitlines() or ["holder unknown"])[0])
                tried = (f"tried {len(waits) + 1} times over {sum(waits):g} s" if waits
                         else "tried once, without waiting")
                raise WarehouseLocked(
                    f"{doing} {db_path} failed, nothing was written: the file is locked by another process "
                    f"({holder}); {tried}", error.pid, error.command) from None
            (sleep or time.sleep)(waits[attempt])
    raise AssertionError("unreachable")


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass


# --------------------------------------------------------------------------- the spool
#
# A batch is pickled to <spool_dir>/<run_id>-<part>.pickle (written aside, fsynced, renamed, so a
# file there is always whole) before the load opens the warehouse, and deleted after COMMIT. The
# files are our own, next to the warehouse file and as trusted as it is.

SPOOL_FORMAT = 1
SPOOL_SUFFIX = ".pickle"
log = logging.getLogger("newsflow")


class SpoolCorrupt(Exception):
    """A spool file that cannot be read back as a batch (truncated, garbage, another format)."""


@dataclass(frozen=True)
class Drained:
    """What ``drain_spool`` did: the spooled batches it loaded, and the unreadable files it set aside."""

    loaded: tuple[Path, ...] = ()
    set_aside: tuple[Path, ...] = ()


def spool_path(spool_dir: Path, run_id: str, part: int = 0) -> Path:
    """Where batch ``part`` of run ``run_id`` waits: <spool_dir>/<run_id>-<part>.pickle (the run id
    made safe for a file name)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", run_id).strip("._")[:120] or "run"
    return Path(spool_dir) / f"{safe}-{part}{SPOOL_SUFFIX}"


def spool_batch(spool_dir: Path, batch: Batch, summary: RunSummary, part: int = 0) -> Path:
    """Stage the batch and its run summary on disk, atomically; returns the file. Raises OSError."""
    path = spool_path(spool_dir, batch.run_id, part)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            pickle.dump({"format": SPOOL_FORMAT, "batch": batch, "summary": summary}, f,
                        protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_spooled(path: Path) -> tuple[Batch, RunSummary]:
    """The batch and summary in a spool file. SpoolCorrupt when it is not one; OSError when it
    cannot be read at all."""
    data = Path(path).read_bytes()
    try:
        obj = pickle.loads(data)
    except Exception as e:  # noqa: BLE001 - truncated or foreign bytes fail in many ways
        raise SpoolCorrupt(f"{type(e).__name__}: {e}") from None
    if not (isinstance(obj, dict) and obj.get("format") == SPOOL_FORMAT
            and isinstance(obj.get("batch"), Batch) and isinstance(obj.get("summary"), RunSummary)):
        raise SpoolCorrupt(f"not a newsflow spool file (format {SPOOL_FORMAT})")
    return obj["batch"], obj["summary"]


def spooled_batches(spool_dir: Path) -> list[Path]:
    """The batches waiting in the spool, oldest first (by modification time, then name)."""
    spool_dir = Path(spool_dir)
    if not spool_dir.is_dir():
        return []
    files = [p for p in spool_dir.iterdir()
             if p.name.endswith(SPOOL_SUFFIX) and not p.name.startswith(".") and p.is_file()]
    return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))


def set_aside(path: Path) -> Path:
    """Rename an unreadable spool file to <name>.bad (never loaded, kept for a human to look at)."""
    bad = path.with_name(path.name + ".bad")
    n = 1
    while bad.exists():
        n += 1
        bad = path.with_name(f"{path.name}.{n}.bad")
    os.replace(path, bad)
    return bad


def _remove_stale_temp_files(spool_dir: Path) -> None:
    """Half-written spool files of processes that died while writing them (never loaded)."""
    import psutil

    for tmp in Path(spool_dir).glob(".*.tmp"):
        pid = tmp.name.rsplit(".", 2)[-2]
        if not (pid.isdigit() and psutil.pid_exists(int(pid)) and int(pid) != os.getpid()):
            tmp.unlink(missing_ok=True)


def drain_spool(settings: Settings, skip: Path | None = None) -> Drained:
    """Load every batch left in the spool by an earlier load, oldest first, each in its own
    transaction, deleting each after its COMMIT. An unreadable file is set aside (``.bad``) with a
    warning and the rest go on; a warehouse error stops here (what is left stays for next time)."""
    loaded: list[Path] = []
    bad: list[Path] = []
    if not Path(settings.spool_dir).is_dir():
        return Drained()
    _remove_stale_temp_files(settings.spool_dir)
    for path in spooled_batches(settings.spool_dir):
        if skip is not None and path == skip:
            continue
        try:
            batch, summary = read_spooled(path)
        except SpoolCorrupt as e:
            aside = set_aside(path)
            log.warning("the spooled batch %s cannot be read (%s): set aside as %s, not loaded", path, e, aside)
            bad.append(aside)
            continue
        except OSError as e:
            raise WarehouseError(f"cannot read the spooled batch {path}: {e.strerror or e}") from None
        load_batch(settings.db_path, batch, summary, tries=settings.lock_retries, wait=settings.lock_wait_seconds)
        path.unlink(missing_ok=True)
        log.info("loaded the batch of run %s that an earlier load left in %s", batch.run_id, path)
        loaded.append(path)
    return Drained(tuple(loaded), tuple(bad))


def _with_note(error: WarehouseError, note: str) -> WarehouseError:
    if isinstance(error, WarehouseLocked):
        return WarehouseLocked(f"{error}; {note}", error.pid, error.command)
    return type(error)(f"{error}; {note}")


def load_spooled(settings: Settings, batch: Batch, summary: RunSummary, *, part: int = 0
                 ) -> tuple[list[str], Drained]:
    """The nightly load: stage the batch in the spool, load what earlier loads left there, then
    this batch, and delete its spool file after COMMIT. Returns (migrations applied, drained).

    On failure (the file locked through every retry, a full disk, a killed process) the warehouse
    holds no part of the failed batch, and the batch stays in the spool for the next load; the
    WarehouseError says where. When the batch cannot even be staged (the spool's disk is full too),
    the load is tried anyway and the error says the batch could not be kept. The event tables are
    not regrouped here: the flow does it once after its last batch (``refresh_events_task``)."""
    db_path = Path(settings.db_path)
    check_writable(db_path)
    try:
        kept: Path | None = spool_batch(settings.spool_dir, batch, summary, part)
        note = f"the batch is kept at {kept} and will be loaded on the next run"
    except OSError as e:
        kept = None
        note = f"the batch could not be kept in {settings.spool_dir} either ({e.strerror or e})"
        log.warning("could not stage the batch in %s (%s): loading it without a copy on disk",
                    settings.spool_dir, e.strerror or e)
    try:
        drained = drain_spool(settings, skip=kept)
        applied = load_batch(db_path, batch, summary, tries=settings.lock_retries, wait=settings.lock_wait_seconds,
                             refresh=False)  # the flow refreshes the event tables after its last batch
    except WarehouseError as e:
        raise _with_note(e, note) from None
    if kept is not None:
        kept.unlink(missing_ok=True)
    return applied, drained


# --------------------------------------------------------------------------- Prefect task


@task(name="load", cache_policy=NO_CACHE)
def load_task(settings: Settings, batch: Batch, summary: RunSummary, part: int = 0) -> list[str]:
    applied, drained = load_spooled(settings, batch, summary, part=part)
    logger = run_logger()
    if drained.loaded:
        logger.info("loaded %d batch(es) an earlier load left in %s", len(drained.loaded), settings.spool_dir)
    for path in drained.set_aside:
        logger.warning("set aside an unreadable spooled batch: %s", path)
    logger.info(
        "loaded %d documents, %d articles, %d events, %d failures into %s%s",
        len(batch.documents), len(batch.articles), len(batch.events), len(batch.failures), settings.db_path,
        f" (migrations applied: {', '.join(applied)})" if applied else "",
    )
    return applied


@task(name="drain-spool", cache_policy=NO_CACHE)
def drain_spool_task(settings: Settings) -> Drained:
    """Before tonight's batches: load what earlier failed loads left in the spool, so tonight's
    dedup sees it."""
    drained = drain_spool(settings)
    if drained.loaded or drained.set_aside:
        run_logger().info("spool %s: loaded %d batch(es), set aside %d unreadable file(s)",
                          settings.spool_dir, len(drained.loaded), len(drained.set_aside))
    return drained


@task(name="record-run", cache_policy=NO_CACHE)
def record_run_task(settings: Settings, summary: RunSummary) -> None:
    """The run's final counts and stage times into ops.runs (``newsflow runs`` shows them)."""
    record_run(settings.db_path, summary, tries=settings.lock_retries, wait=settings.lock_wait_seconds)


@task(name="refresh-events", cache_policy=NO_CACHE)
def refresh_events_task(settings: Settings) -> None:
    """After the night's last batch: regroup all mentions into real-world events (marts.events)."""
    refresh_events(settings.db_path, tries=settings.lock_retries, wait=settings.lock_wait_seconds)
