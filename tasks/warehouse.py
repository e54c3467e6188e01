"""The DuckDB warehouse: SQL files, migrations, read-only access and the dedup index.

All SQL lives in ``warehouse/`` (migrations/, views/, queries/, checks/); values are always
bound as parameters. Writing happens only in ``tasks.load``; everything here that opens the
file for reading does so read-only and closes it again.
"""

from __future__ import annotations

import functools
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Collection, Iterator, Sequence

import duckdb
import numpy as np

from tasks.errors import WarehouseError, WarehouseLocked
from tasks.settings import PROJECT_ROOT

SQL_DIR = PROJECT_ROOT / "warehouse"
MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


@functools.lru_cache(maxsize=None)
def sql(name: str) -> str:
    """The text of warehouse/queries/<name>.sql."""
    return (SQL_DIR / "queries" / f"{name}.sql").read_text(encoding="utf-8")


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every numbered migration, in order."""
    found = []
    for path in sorted((SQL_DIR / "migrations").glob("*.sql")):
        m = MIGRATION_NAME.match(path.name)
        if not m:
            raise WarehouseError(f"migration file name must look like 001_name.sql: {path.name}")
        found.append((int(m.group(1)), path.name, path.read_text(encoding="utf-8")))
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise WarehouseError("two migrations share a number")
    return found


def views() -> list[tuple[str, str]]:
    """The view files, each after the views it reads (found by name in its SQL), else by name."""
    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted((SQL_DIR / "views").glob("*.sql"))}
    deps = {
        name: {other for other in texts if other != name
               and re.search(r"(?<![\w.])" + re.escape(other) + r"(?![\w])", _strip_sql_comments(text))}
        for name, text in texts.items()
    }
    ordered: list[str] = []
    while len(ordered) < len(texts):
        ready = [n for n in texts if n not in ordered and deps[n] <= set(ordered)]
        if not ready:
            cycle = sorted(n for n in texts if n not in ordered)
            raise WarehouseError(f"views depend on each other in a cycle: {', '.join(cycle)}")
        ordered.append(ready[0])
    return [(n, texts[n]) for n in ordered]


def _strip_sql_comments(text: str) -> str:
    return re.sub(r"--[^\n]*", "", text)


def checks() -> list[tuple[str, str]]:
    """Data tests: each query returns the rows that break a rule (unique, not null, relationships)."""
    return [(p.stem, p.read_text(encoding="utf-8")) for p in sorted((SQL_DIR / "checks").glob("*.sql"))]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations and (re)create the views. Returns the names applied.

    Call inside the caller's transaction: a failed migration leaves nothing behind.
    """
    con.execute(
        "CREATE TABLE IF NOT EXISTS main.schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    done = {row[0] for row in con.execute("SELECT version FROM main.schema_migrations").fetchall()}
    applied = []
    for version, name, text in migrations():
        if version in done:
            continue
        con.execute(text)
        con.execute(
            "INSERT INTO main.schema_migrations VALUES (?, ?, current_timestamp)", [version, name]
        )
        applied.append(name)
    for _, text in views():
        con.execute(text)
    return applied


#: Mentions per part when marts.events is refilled (refresh_events.sql): the refill's memory
#: follows the part, not the warehouse (about 1.7 GB for a million mentions in one part).
REFRESH_PART_MENTIONS = 50_000


def refresh_event_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Refill staging.event_clusters and marts.events from what the warehouse holds now.

    They are tables, not views, so that analysts' queries on events stay fast (migration 012). Call
    it inside a writer's transaction, before COMMIT, after writes that change
    staging.event_mentions, staging.articles or staging.duplicates (a new copy of a story changes
    its events' num_sources): the nightly flow once after its last batch, reprocessing once at the
    end, ``load_batch`` (called on its own) in its transaction. A full refill, done a piece at a
    time so that its memory stays flat: the clusters one event type at a time, the events in parts
    of about REFRESH_PART_MENTIONS mentions.
    """
    con.execute(sql("clear_event_tables"))
    for (event_type,) in con.execute(sql("event_types_stored")).fetchall():
        con.execute(sql("refresh_event_clusters"), [event_type])
    mentions = con.execute(sql("count_all_event_mentions")).fetchone()[0]
    parts = max(1, -(-mentions // REFRESH_PART_MENTIONS))
    for part in range(parts):
        con.execute(sql("refresh_events"), [parts, part])


def check_writable(db_path: Path) -> None:
    """Fail early, with one line, when the warehouse file cannot be written."""
    db_path = Path(db_path)
    if db_path.is_dir():
        raise WarehouseError(f"database path is a directory: {db_path}")
    parent = db_path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise WarehouseError(f"cannot create the folder for the database {db_path}: {e.strerror or e}") from None
    if db_path.exists():
        if not os.access(db_path, os.W_OK):
            raise WarehouseError(f"database file is not writable: {db_path}")
    elif not os.access(parent, os.W_OK | os.X_OK):
        raise WarehouseError(f"cannot write the database in {parent}: permission denied")


def describe_duckdb_error(e: Exception, db_path: Path) -> str:
    """A one-line message for a DuckDB error on opening the warehouse."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    lower = text.lower()
    if "lock" in lower:
        pid, command = lock_holder(text)
        if pid is not None:
            return f"the warehouse {db_path} is locked by another process (PID {pid}: {command})"
        return f"the warehouse {db_path} is locked by another process ({text})"
    if "not a valid duckdb" in lower or ("invalid" in lower and "database" in lower):
        return f"{db_path} is not a DuckDB database file ({text})"
    return f"cannot open the warehouse {db_path}: {text}"


def open_error(e: Exception, db_path: Path) -> WarehouseError:
    """The named error for a failure to open the warehouse: WarehouseLocked when another process
    holds the file (with its PID and command), else WarehouseError; one line either way."""
    message = describe_duckdb_error(e, db_path)
    if " is locked by another process " in message:
        pid, command = lock_holder(str(e))
        return WarehouseLocked(message, pid, command)
    return WarehouseError(message)


#: DuckDB names the holder of a file lock: '... Conflicting lock is held in /usr/bin/python3 (PID 123) ...'
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (.*?) \(PID (\d+)\)")


def lock_holder(text: str) -> tuple[int | None, str | None]:
    """(PID, command line) of the process DuckDB's lock error names; the command comes from psutil
    (DuckDB's program path when the process is gone or unreadable). (None, None) when not named."""
    m = _LOCK_HOLDER.search(text)
    if not m:
        return None, None
    pid = int(m.group(2))
    return pid, process_command(pid) or m.group(1)


def process_command(pid: int, width: int = 120) -> str | None:
    """The command line of a running process, shortened to one line of `width` characters."""
    import psutil

    try:
        parts = psutil.Process(pid).cmdline()
    except (psutil.Error, OSError):
        return None
    text = " ".join(" ".join(parts).split())
    return text if len(text) <= width else text[: width - 3] + "..."


@contextmanager
def connect(db_path: Path, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    try:
        con = duckdb.connect(str(db_path), read_only=read_only)
    except (duckdb.Error, OSError) as e:
        raise open_error(e, Path(db_path)) from None
    try:
        yield con
    finally:
        con.close()


def has_schema(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
        ).fetchone()[0]
    )


def query(db_path: Path, text: str, params: Sequence[Any] | None = None) -> tuple[list[str], list[tuple]]:
    """Run a read-only query on the warehouse: (column names, rows). Raises WarehouseError."""
    db_path = Path(db_path)
    if not db_path.is_file():
        raise WarehouseError(f"no warehouse at {db_path} (run `newsflow ingest` first)")
    with connect(db_path, read_only=True) as con:
        try:
            cur = con.execute(text, params or [])
            if cur.description is None:
                return [], []
            return [d[0] for d in cur.description], cur.fetchall()
        except duckdb.Error as e:
            raise WarehouseError(f"query failed: {str(e).strip().splitlines()[0]}") from None


def known_raw_ids(db_path: Path, raw_ids: Sequence[str]) -> set[str]:
    """The subset of `raw_ids` already stored in raw.documents."""
    db_path = Path(db_path)
    if not raw_ids or not db_path.is_file():
        return set()
    with connect(db_path, read_only=True) as con:
        if not has_schema(con):
            return set()
        return {r[0] for r in con.execute(sql("known_raw_ids"), [list(raw_ids)]).fetchall()}


def read_rows(db_path: Path, name: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows of the read-only query warehouse/queries/<name>.sql as dicts; [] before the first load."""
    db_path = Path(db_path)
    if not db_path.is_file():
        return []
    with connect(db_path, read_only=True) as con:
        if not has_schema(con):
            return []
        cur = con.execute(sql(name), list(params))
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row)) for row in cur.fetchall()]


#: DuckDB's buffer pool for the dedup index's read-only connection. Without a limit it keeps every
#: block the night's scans read (1.4 GB with a million stored articles); the scans run as fast with
#: this much.
INDEX_MEMORY_LIMIT = "256MB"


class WarehouseIndex:
    """The dedup index over everything already stored (satisfies tasks.dedup.DedupIndex).

    Each lookup is a keyed query, so a night costs in proportion to its own articles. The file
    is opened read-only on first use; call close() (or use it as a context manager) after.
    """

    def __init__(self, db_path: Path):
        self.db_path = Path(db_path)
        self._con: duckdb.DuckDBPyConnection | None = None
        self._empty = False

    def _connection(self) -> duckdb.DuckDBPyConnection | None:
        if self._con is None and not self._empty:
            if not self.db_path.is_file():
                self._empty = True
                return None
            try:
                self._con = duckdb.connect(str(self.db_path), read_only=True,
                                           config={"memory_limit": INDEX_MEMORY_LIMIT})
            except duckdb.Error as e:
                raise open_error(e, self.db_path) from None
            if not has_schema(self._con):
                self.close()
                self._empty = True
        return self._con

    def _rows(self, name: str, values: Collection) -> list[tuple]:
        con = self._connection()
        if con is None or not values:
            return []
        return con.execute(sql(name), [list(values)]).fetchall()

    def _first_per_key(self, name: str, keys: Collection[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, story in self._rows(name, keys):
            out.setdefault(key, story)
        return out

    def find_urls(self, url_keys: Collection[str]) -> dict[str, str]:
        return self._first_per_key("find_by_url_keys", url_keys)

    def find_hashes(self, text_hashes: Collection[str]) -> dict[str, str]:
        return self._first_per_key("find_by_text_hashes", text_hashes)

    def band_matches(self, keys: Collection[int]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for key, aid in self._rows("band_matches", keys):
            out.setdefault(key, []).append(aid)
        return out

    def signatures(self, article_ids: Collection[str]) -> dict[str, tuple[np.ndarray, int]]:
        from tasks.dedup import signature_from_bytes

        return {aid: (signature_from_bytes(blob), count)
                for aid, blob, count in self._rows("signatures_of", article_ids)}

    def texts(self, article_ids: Collection[str]) -> dict[str, str]:
        return dict(self._rows("texts_of", article_ids))

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> "WarehouseIndex":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_checks(db_path: Path) -> dict[str, list[tuple]]:
    """Run every data test; returns {check name: offending rows} for the checks that fail."""
    failing: dict[str, list[tuple]] = {}
    with connect(Path(db_path), read_only=True) as con:
        for name, text in checks():
            rows = con.execute(text).fetchall()
            if rows:
                failing[name] = rows
    return failing
