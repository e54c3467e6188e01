"""Publishing for analysts, so that no one has to open the warehouse the nightly load writes.

Two ways, both safe to run while analysts read the previous output:

- ``export_parquet(db_path, out_dir)``: the marts as Parquet, hive-partitioned by day,
  incremental. Each exported table (``EXPORTS``) becomes ``out_dir/<table>/day=YYYY-MM-DD/data.parquet``;
  rows with no date go to ``day=__HIVE_DEFAULT_PARTITION__`` (Hive's name for a NULL partition,
  read back as NULL by DuckDB, pyarrow/pandas and polars). The ``day`` column is not stored in the
  files: readers get it from the path (every table keeps its own date columns). A partition is
  written only when it is new or its rows changed: the export keeps, in
  ``out_dir/_newsflow_export.json``, a fingerprint of each partition (row count and the sum of a
  hash of every row, computed by DuckDB); a day that got new rows tonight, or whose events were
  regrouped or gained a source, gets a new fingerprint and is rewritten, an unchanged day is left
  alone, and a day with no rows any more is deleted. Each partition file is written aside (in
  ``out_dir/.staging-*``) and renamed over the old one, so a reader sees the old file or the new
  one, never half of one. (A new DuckDB version may hash differently: then the next export
  rewrites every partition once.)
- ``snapshot(db_path, path)``: a read-only copy of the warehouse file, published atomically.

Both open the warehouse read-only. The SQL is in ``warehouse/queries/export_<table>.sql``; the
code wraps those files' text as a subquery (never a value: values, paths included, are bound).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterator

import duckdb
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.errors import ConfigError, WarehouseError
from tasks.log import run_logger
from tasks.settings import Settings
from tasks.warehouse import connect, describe_duckdb_error, has_schema, sql

#: (folder under out_dir, query in warehouse/queries/) of every exported mart. Each query returns
#: the mart's columns plus ``day``, the partition key: events and daily_events by event_date,
#: event_mentions by their event's event_date, articles and story_groups by the day the story first
#: appeared. marts.dyads and marts.stories_per_day are small aggregates of these (not exported).
EXPORTS = (
    ("events", "export_events"),
    ("event_mentions", "export_event_mentions"),
    ("daily_events", "export_daily_events"),
    ("articles", "export_articles"),
    ("story_groups", "export_story_groups"),
)
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
MANIFEST = "_newsflow_export.json"
MANIFEST_VERSION = 1
FILE_NAME = "data.parquet"


@dataclass(frozen=True)
class TableExport:
    """What one export did to one table's folder."""

    table: str
    partitions: int  # partitions the table has now
    written: tuple[str, ...]  # partition values written (new or changed), e.g. "2024-01-05"
    deleted: tuple[str, ...]  # partitions removed (no rows any more)
    rows_written: int

    @property
    def unchanged(self) -> int:
        return self.partitions - len(self.written)


@dataclass(frozen=True)
class ExportSummary:
    out_dir: Path
    tables: tuple[TableExport, ...]
    seconds: float

    def lines(self) -> list[str]:
        out = []
        for t in self.tables:
            out.append(f"{t.table:<15} {len(t.written):>5} partitions written ({t.rows_written} rows), "
                       f"{t.unchanged} unchanged, {len(t.deleted)} deleted -> {self.out_dir / t.table}")
        return out


@dataclass(frozen=True)
class SnapshotSummary:
    path: Path
    bytes: int
    method: str  # "file copy" (checkpointed file) or "copy from database" (the file had a WAL)
    seconds: float


# --------------------------------------------------------------------------- Parquet export


def partition_name(day: date | None) -> str:
    """The value in ``day=<value>`` for a partition key (NULL: Hive's default partition)."""
    return NULL_PARTITION if day is None else day.isoformat()


def fingerprints(con: duckdb.DuckDBPyConnection, query_name: str) -> dict[str, tuple[str, int]]:
    """{partition: (fingerprint, rows)} of one exported query: its rows per day and the sum of
    DuckDB's hash of each whole row, so any changed value changes the fingerprint."""
    rows = con.execute(
        f"SELECT day, count(*), sum(hash(s)) FROM ({sql(query_name)}) s GROUP BY day"
    ).fetchall()
    return {partition_name(day): (f"{n}:{h}", n) for day, n, h in rows}


def read_manifest(out_dir: Path) -> dict[str, dict[str, str]]:
    """{table: {partition: fingerprint}} of the last export into out_dir ({} if none or unreadable)."""
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
        return {}
    tables = data.get("tables")
    return tables if isinstance(tables, dict) else {}


def write_atomically(path: Path, data: bytes) -> None:
    """Write aside in the same folder, fsync, rename over ``path``."""
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prepare_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"export folder is a file: {out_dir}")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"cannot create the export folder {out_dir}: {e.strerror or e}") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write in the export folder {out_dir}: permission denied")


def export_table(con: duckdb.DuckDBPyConnection, out_dir: Path, staging: Path, table: str, query_name: str,
                 previous: dict[str, str]) -> tuple[TableExport, dict[str, str]]:
    """Export one table's new and changed partitions; returns what it did and its new fingerprints."""
    now = fingerprints(con, query_name)
    folder = out_dir / table
    changed = sorted(p for p, (fp, _) in now.items()
                     if previous.get(p) != fp or not (folder / f"day={p}" / FILE_NAME).is_file())
    rows_written = sum(now[p][1] for p in changed)
    if changed:
        days = [date.fromisoformat(p) for p in changed if p != NULL_PARTITION]
        target = staging / table
        staging.mkdir(exist_ok=True)
        con.execute(
            f"COPY (SELECT * EXCLUDE (day), day FROM ({sql(query_name)}) s "
            "WHERE list_contains(?::DATE[], day) OR (day IS NULL AND ?)) "
            "TO ? (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (day), WRITE_PARTITION_COLUMNS false)",
            [days, NULL_PARTITION in changed, str(target)],
        )
        for p in changed:
            files = sorted((target / f"day={p}").glob("*.parquet"))
            if len(files) != 1:
                raise WarehouseError(f"export of {table} day={p}: expected one Parquet file, DuckDB wrote {len(files)}")
            dest = folder / f"day={p}"
            dest.mkdir(parents=True, exist_ok=True)
            with open(files[0], "rb") as f:
                os.fsync(f.fileno())
            os.replace(files[0], dest / FILE_NAME)  # atomic: readers see the old file or the new one
    deleted = sorted(p for p in previous if p not in now)
    for p in deleted:
        (folder / f"day={p}" / FILE_NAME).unlink(missing_ok=True)
        try:
            (folder / f"day={p}").rmdir()
        except OSError:
            pass  # not empty (someone else's file) or already gone
    if changed or deleted:
        folder.mkdir(parents=True, exist_ok=True)
        fsync_dir(folder)
    summary = TableExport(table, len(now), tuple(changed), tuple(deleted), rows_written)
    return summary, {p: fp for p, (fp, _) in now.items()}


def export_parquet(db_path: Path, out_dir: Path) -> ExportSummary:
    """Export the marts (``EXPORTS``) from the warehouse, opened read-only, as hive-partitioned
    Parquet under ``out_dir``, writing only new and changed partitions. See the module docstring."""
    t0 = time.perf_counter()
    db_path, out_dir = Path(db_path), Path(out_dir)
    if not db_path.is_file():
        raise WarehouseError(f"no warehouse at {db_path} (run `newsflow ingest` first)")
    _prepare_out_dir(out_dir)
    manifest = read_manifest(out_dir)
    staging = out_dir / f".staging-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    results: list[TableExport] = []
    try:
        with connect(db_path, read_only=True) as con:
            if not has_schema(con):
                raise WarehouseError(f"{db_path} holds no newsflow warehouse yet (run `newsflow ingest` first)")
            for table, query_name in EXPORTS:
                try:
                    summary, fps = export_table(con, out_dir, staging, table, query_name, manifest.get(table, {}))
                except duckdb.Error as e:
                    raise WarehouseError(f"exporting {table} failed: {str(e).strip().splitlines()[0]}") from None
                results.append(summary)
                manifest[table] = fps
                # after each table, so an interrupted export redoes only what it had not finished
                write_atomically(out_dir / MANIFEST, json.dumps(
                    {"version": MANIFEST_VERSION, "tables": manifest}, indent=1, sort_keys=True).encode())
    except OSError as e:
        raise WarehouseError(f"exporting to {out_dir} failed: {e.strerror or e}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ExportSummary(out_dir, tuple(results), round(time.perf_counter() - t0, 3))


# --------------------------------------------------------------------------- snapshot


@contextmanager
def _attached_read_only(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory connection with the warehouse attached read-only as ``source``. While it is
    open, DuckDB's shared file lock keeps any writer out, so the file cannot change under us."""
    con = duckdb.connect()
    try:
        try:
            con.execute("ATTACH ? AS source (READ_ONLY)", [str(db_path)])
        except duckdb.Error as e:
            raise WarehouseError(describe_duckdb_error(e, db_path)) from None
        yield con
    finally:
        con.close()


def _copy_file(src: Path, dst: Path) -> None:
    """Copy src to dst (a new file) and fsync it."""
    with open(src, "rb") as fin, open(dst, "xb") as fout:
        shutil.copyfileobj(fin, fout, length=16 * 1024 * 1024)
        fout.flush()
        os.fsync(fout.fileno())


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def snapshot(db_path: Path, path: Path) -> SnapshotSummary:
    """Publish a read-only copy of the warehouse at ``path``, atomically.

    The warehouse is attached read-only (a writer cannot start meanwhile). When its file is
    checkpointed (no ``.wal`` beside it: the load's connection checkpoints when it closes), the
    file is copied byte for byte; otherwise DuckDB copies the database, write-ahead log included,
    into a new file (``COPY FROM DATABASE``). Either way the copy is written as
    ``<path>.tmp-<pid>-<random>`` in the same folder, fsynced, made read-only (mode 0444) and
    renamed over ``path``: analysts with the old snapshot open keep reading it, new ones get the
    new one, and a failure leaves the previous snapshot as it was. Open it with
    ``duckdb.connect(path, read_only=True)``.
    """
    t0 = time.perf_counter()
    db_path, path = Path(db_path), Path(path)
    if not db_path.is_file():
        raise WarehouseError(f"no warehouse at {db_path} (run `newsflow ingest` first)")
    if path.exists() and (path.is_dir() or path.resolve() == db_path.resolve()):
        raise ConfigError(f"the snapshot path must be a new file or an older snapshot, not {path}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"cannot create the folder for the snapshot {path}: {e.strerror or e}") from None
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    wal = db_path.with_name(db_path.name + ".wal")
    try:
        with _attached_read_only(db_path) as con:
            if wal.is_file() and wal.stat().st_size > 0:
                method = "copy from database"
                con.execute("ATTACH ? AS snapshot", [str(tmp)])
                con.execute("COPY FROM DATABASE source TO snapshot")
                con.execute("DETACH snapshot")
                _fsync_file(tmp)
            else:
                method = "file copy"
                _copy_file(db_path, tmp)
        os.chmod(tmp, 0o444)
        # a WAL left beside an older snapshot (someone opened it for writing) belongs to that file
        path.with_name(path.name + ".wal").unlink(missing_ok=True)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except (OSError, duckdb.Error) as e:
        text = e.strerror if isinstance(e, OSError) and e.strerror else str(e).strip().splitlines()[0]
        raise WarehouseError(f"snapshot to {path} failed, the previous one is unchanged: {text}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return SnapshotSummary(path, path.stat().st_size, method, round(time.perf_counter() - t0, 3))


# --------------------------------------------------------------------------- Prefect tasks


@task(name="export-parquet", cache_policy=NO_CACHE)
def export_task(settings: Settings) -> ExportSummary | None:
    """The Parquet export into NEWSFLOW_EXPORT_DIR (nothing when it is empty)."""
    if not settings.export_dir:
        return None
    summary = export_parquet(settings.db_path, Path(settings.export_dir))
    run_logger().info("exported Parquet to %s in %.1f s:\n%s", summary.out_dir, summary.seconds,
                      "\n".join(summary.lines()))
    return summary


@task(name="snapshot", cache_policy=NO_CACHE)
def snapshot_task(settings: Settings) -> SnapshotSummary | None:
    """The read-only snapshot at NEWSFLOW_SNAPSHOT_PATH (nothing when it is empty)."""
    if not settings.snapshot_path:
        return None
    s = snapshot(settings.db_path, Path(settings.snapshot_path))
    run_logger().info("published a snapshot of %s at %s (%d bytes, %s, %.1f s)",
                      settings.db_path, s.path, s.bytes, s.method, s.seconds)
    return s
