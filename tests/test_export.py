"""Publishing for analysts: the incremental Parquet export, the atomic snapshot, their commands,
and the README's examples for reading the Parquet from DuckDB, pandas and polars.

Warehouses are built by the real load (``tasks.load.load_batch``) from the records of
tests/test_event_views.py (three outlets, two stories, one drone strike) and tests/factories.py.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.cli import main
from tasks import export as export_mod
from tasks.errors import WarehouseError
from tasks.export import MANIFEST, NULL_PARTITION, export_parquet, export_task, snapshot, snapshot_task
from tasks.load import Batch, load_batch
from tasks.records import Article, RunSummary
from tasks.settings import Settings
from tasks.sources import raw_document
from tests.conftest import ROOT
from tests.factories import make_batch
from tests.test_event_views import NOW, build

TABLES = ("events", "event_mentions", "daily_events", "articles", "story_groups")
MARTS = {"events": "marts.events", "event_mentions": "marts.event_mentions", "daily_events": "marts.daily_events",
         "articles": "marts.articles", "story_groups": "marts.story_groups"}


def count(db: Path, table: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def parquet(out: Path, table: str, what: str = "count(*)"):
    with duckdb.connect() as con:
        return con.execute(f"SELECT {what} FROM read_parquet(?, hive_partitioning = true)",
                           [str(out / table / "*" / "*.parquet")]).fetchall()


def partition_files(out: Path, table: str) -> dict[str, tuple[int, int]]:
    """{partition: (inode, mtime_ns)} of a table's files."""
    return {p.parent.name.split("=", 1)[1]: (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in (out / table).glob("day=*/data.parquet")}


def load_more(db: Path, rows: list[tuple[str, str, str, str]], run_id: str = "run-2") -> None:
    """Another night: (source, url, text, published) articles, no duplicates, no events."""
    docs = [raw_document(s, url.rsplit("/", 1)[-1], "html", text.encode(), NOW, url=url, published=pub)
            for s, url, text, pub in rows]
    arts = [Article(d.raw_id, d.raw_id, d.source, d.url, None, f"title {i}", (), d.published, "source", "en", None,
                    rows[i][2]) for i, d in enumerate(docs)]
    summary = RunSummary(run_id, NOW, NOW, "completed", 1, len(docs), len(docs), 0, 0, 0, 0.1, {})
    load_batch(db, Batch(run_id, tuple(docs), tuple(arts)), summary)


# ---------------------------------------------------------------- Parquet export


def test_export_writes_every_mart_partitioned_by_day_with_the_same_rows(tmp_path):
    db, *_ = build(tmp_path)
    out = tmp_path / "out"
    s = export_parquet(db, out)
    assert [t.table for t in s.tables] == list(TABLES)
    for t in s.tables:
        assert parquet(out, t.table) == [(count(db, MARTS[t.table]),)], t.table
        assert t.written and t.rows_written == count(db, MARTS[t.table])
    # hive layout: one file per day; the partition key is read back as a DATE
    assert sorted(partition_files(out, "articles")) == ["2024-01-05", "2024-01-06"]
    assert parquet(out, "events", "DISTINCT typeof(day)") == [("DATE",)]
    assert parquet(out, "events", "count(*) FILTER (WHERE day = event_date)") == [(count(db, "marts.events"),)]
    # a mention sits in its event's partition
    assert parquet(out, "event_mentions", "count(DISTINCT event_id)") == [(count(db, "marts.events"),)]
    assert json.loads((out / MANIFEST).read_text())["tables"].keys() == set(TABLES)
    assert not list(out.glob(".staging-*"))


def test_rows_with_no_date_go_to_the_hive_default_partition(tmp_path):
    batch, summary = make_batch()
    db = tmp_path / "w.duckdb"
    load_batch(db, batch, summary)
    out = tmp_path / "out"
    export_parquet(db, out)
    assert (out / "articles" / f"day={NULL_PARTITION}" / "data.parquet").is_file()
    undated = count(db, "marts.articles WHERE published_date IS NULL")
    assert undated and parquet(out, "articles", "count(*) FILTER (WHERE day IS NULL)") == [(undated,)]


def test_export_is_incremental_only_new_and_changed_days_are_written(tmp_path):
    db, *_ = build(tmp_path)
    out = tmp_path / "out"
    export_parquet(db, out)
    before = partition_files(out, "articles")

    again = export_parquet(db, out)  # nothing changed: nothing written
    assert all(not t.written and not t.deleted for t in again.tables)
    assert partition_files(out, "articles") == before

    # tonight: one more article on 2024-01-06 (a day already exported) and one on a new day
    load_more(db, [("wire", "https://wire.example.net/rates", "The central bank held its interest rates "
                    "steady on Saturday, citing slowing inflation across the region.", "2024-01-06T10:00:00+00:00"),
                   ("wire", "https://wire.example.net/storm", "A storm closed schools and ports along the coast "
                    "on Thursday, and ferries stayed in harbour.", "2024-02-01T07:00:00+00:00")])
    s = {t.table: t for t in export_parquet(db, out).tables}
    assert s["articles"].written == ("2024-01-06", "2024-02-01")
    after = partition_files(out, "articles")
    assert after["2024-01-05"] == before["2024-01-05"]  # the unchanged day was not touched
    assert after["2024-01-06"] != before["2024-01-06"]  # the day with a new row was rewritten
    assert parquet(out, "articles") == [(count(db, "marts.articles"),)]
    assert not s["events"].written  # no new events tonight


def test_a_day_with_no_rows_any_more_is_removed_and_a_missing_file_rewritten(tmp_path):
    db, *_ = build(tmp_path)
    out = tmp_path / "out"
    export_parquet(db, out)
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["tables"]["articles"]["2020-01-01"] = "1:1"  # a day exported earlier, gone since
    (out / "articles" / "day=2020-01-01").mkdir()
    (out / "articles" / "day=2020-01-01" / "data.parquet").write_bytes(b"old")
    (out / MANIFEST).write_text(json.dumps(manifest))
    (out / "events" / "day=2024-01-04" / "data.parquet").unlink()  # lost by hand
    s = {t.table: t for t in export_parquet(db, out).tables}
    assert s["articles"].deleted == ("2020-01-01",) and not (out / "articles" / "day=2020-01-01").exists()
    assert s["events"].written == ("2024-01-04",)
    assert parquet(out, "events") == [(count(db, "marts.events"),)]


def test_export_into_a_folder_with_a_quote_in_its_name(tmp_path):
    db, *_ = build(tmp_path)
    out = tmp_path / "it's out; DROP TABLE x"
    export_parquet(db, out)
    assert parquet(out, "articles") == [(count(db, "marts.articles"),)]


def test_export_opens_the_warehouse_read_only_and_fails_in_one_line(tmp_path):
    with pytest.raises(WarehouseError, match="no warehouse at"):
        export_parquet(tmp_path / "none.duckdb", tmp_path / "out")
    db, *_ = build(tmp_path)
    with duckdb.connect(str(db), read_only=True):  # an analyst's read-only client does not stop it
        pass
    (tmp_path / "file").write_text("x")
    with pytest.raises(Exception, match="export folder is a file"):
        export_parquet(db, tmp_path / "file")


# ---------------------------------------------------------------- README examples


def readme_reading_examples() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Reading without blocking the load", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_readme_reads_the_parquet_from_duckdb_pandas_and_polars_as_written(tmp_path, monkeypatch):
    db, *_ = build(tmp_path)
    export_parquet(db, tmp_path / "exports")
    monkeypatch.chdir(tmp_path)
    blocks = readme_reading_examples()
    assert len(blocks) == 3 and [("duckdb" in b, "pandas" in b, "polars" in b) for b in blocks] == [
        (True, False, False), (False, True, False), (False, False, True)]
    ns: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), ns)  # noqa: S102 (the README's own code)
    assert ns["daily"] and len(ns["events"]) == count(db, "marts.events")
    assert ns["assaults"]["dead"].max() == 2 and isinstance(ns["events"]["day"].iloc[0], date)
    assert ns["per_day"]["mentions"].sum() == count(db, "marts.event_mentions")


# ---------------------------------------------------------------- snapshot


def all_counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        names = [f"{s}.{t}" for s, t in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = current_database() "
            "ORDER BY 1, 2").fetchall()]
        return {n: con.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in names}


def test_snapshot_is_a_read_only_copy_with_the_same_rows(tmp_path):
    db, *_ = build(tmp_path)
    snap = tmp_path / "pub" / "o'brien.duckdb"
    s = snapshot(db, snap)
    assert s.method == "file copy" and s.bytes == snap.stat().st_size
    assert all_counts(snap) == all_counts(db) and all_counts(snap)["marts.events"] > 0
    assert not stat.S_IMODE(snap.stat().st_mode) & 0o222  # read-only
    assert [p.name for p in snap.parent.iterdir()] == [snap.name]  # no temporary file left
    # replaced atomically by the next one, while a reader has the old one open
    with duckdb.connect(str(snap), read_only=True) as reader:
        old = reader.execute("SELECT count(*) FROM marts.articles").fetchone()[0]
        load_more(db, [("wire", "https://wire.example.net/x", "Another article about the harbour and its "
                        "new ferry timetable, published on a Monday.", "2024-01-08T07:00:00+00:00")])
        snapshot(db, snap)
        assert reader.execute("SELECT count(*) FROM marts.articles").fetchone()[0] == old
    assert all_counts(snap) == all_counts(db) and all_counts(snap)["marts.articles"] == old + 1


def test_snapshot_includes_a_pending_write_ahead_log(tmp_path):
    db, *_ = build(tmp_path)
    con = duckdb.connect(str(db), config={"checkpoint_threshold": "1TB"})
    con.execute("PRAGMA disable_checkpoint_on_shutdown")
    con.execute("INSERT INTO ops.failures VALUES ('f-wal', 'src', 'loc', 'clean', 'empty', 'x', 'run-wal')")
    con.close()
    assert db.with_name(db.name + ".wal").stat().st_size > 0
    snap = tmp_path / "snap.duckdb"
    s = snapshot(db, snap)
    assert s.method == "copy from database"
    with duckdb.connect(str(snap), read_only=True) as c:
        assert c.execute("SELECT count(*) FROM ops.failures WHERE failure_id = 'f-wal'").fetchone() == (1,)
    assert all_counts(snap) == all_counts(db)


def test_a_failure_mid_copy_leaves_the_previous_snapshot_intact(tmp_path, monkeypatch):
    db, *_ = build(tmp_path)
    snap = tmp_path / "snap.duckdb"
    snapshot(db, snap)
    before = snap.read_bytes()

    def half_then_full_disk(src, dst):
        with open(dst, "xb") as f:
            f.write(Path(src).read_bytes()[: 4096])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export_mod, "_copy_file", half_then_full_disk)
    load_more(db, [("wire", "https://wire.example.net/y", "A new article that the failed snapshot "
                    "would have carried to the analysts.", "2024-01-09T07:00:00+00:00")])
    with pytest.raises(WarehouseError, match="the previous one is unchanged: No space left on device"):
        snapshot(db, snap)
    assert snap.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("snap")] == ["snap.duckdb"]
    with duckdb.connect(str(snap), read_only=True) as c:
        assert c.execute("SELECT count(*) FROM marts.events").fetchone()[0] > 0


def test_snapshot_refuses_to_overwrite_the_warehouse_itself(tmp_path):
    db, *_ = build(tmp_path)
    with pytest.raises(Exception, match="snapshot path must be"):
        snapshot(db, db)


# ---------------------------------------------------------------- Prefect tasks and the command


def test_tasks_do_nothing_unless_their_setting_is_set(tmp_path):
    db, *_ = build(tmp_path)
    s = replace(Settings(), db_path=db)
    assert export_task.fn(s) is None and snapshot_task.fn(s) is None
    s = replace(s, export_dir=str(tmp_path / "exp"), snapshot_path=str(tmp_path / "snap.duckdb"))
    assert export_task.fn(s).tables[0].written
    assert snapshot_task.fn(s).path == tmp_path / "snap.duckdb"


def run(*argv):
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_export_and_snapshot_commands(tmp_path, capsys):
    db, *_ = build(tmp_path)
    code, out = run("export", "--parquet", str(tmp_path / "exp"), "--db", str(db))
    assert code == 0 and "articles" in out and "2 partitions written" in out and str(tmp_path / "exp") in out
    code, out = run("export", "--parquet", str(tmp_path / "exp"), "--db", str(db))
    assert code == 0 and "0 partitions written" in out
    code, out = run("snapshot", str(tmp_path / "s.duckdb"), "--db", str(db))
    assert code == 0 and "published at" in out and "read_only=True" in out
    assert run("snapshot", str(tmp_path / "s2.duckdb"), "--db", str(tmp_path / "missing.duckdb"))[0] == 2
    assert run("export", "--parquet", str(tmp_path / "e2"), "--db", str(tmp_path / "missing.duckdb"))[0] == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"newsflow snapshot: error: no warehouse at {tmp_path / 'missing.duckdb'} (run `newsflow ingest` first)",
                   f"newsflow export: error: no warehouse at {tmp_path / 'missing.duckdb'} (run `newsflow ingest` first)"]
