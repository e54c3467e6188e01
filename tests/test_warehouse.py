"""The warehouse: migrations recorded in a table, one-transaction loads, read-only queries."""

from contextlib import contextmanager
from datetime import datetime, timezone

import duckdb
import pytest

from tasks.errors import WarehouseError
from tasks.load import load_batch, parse_timestamp
from tasks.warehouse import (
    WarehouseIndex, check_writable, connect, known_raw_ids, migrations, query, run_checks, sql,
)
from tests.factories import NOW, make_batch

TABLES = ["raw.documents", "staging.articles", "staging.duplicates", "staging.lsh_bands", "staging.article_signatures",
          "staging.event_mentions", "ops.failures", "ops.runs"]


def snapshot(db):
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLES}


@contextmanager
def migrated_up_to(db, last: int):
    """A connection to a warehouse with migrations 1..last applied and recorded, as an older
    newsflow left it (for tests of the migrations after it)."""
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE main.schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                    " applied_at TIMESTAMPTZ NOT NULL)")
        for version, name, text in migrations():
            if version <= last:
                con.execute(text)
                con.execute("INSERT INTO main.schema_migrations VALUES (?, ?, current_timestamp)", [version, name])
        yield con


def test_migrations_are_numbered_and_recorded(tmp_path):
    db = tmp_path / "w.duckdb"
    batch, summary = make_batch()
    applied = load_batch(db, batch, summary)
    assert applied == [name for _, name, _ in migrations()]
    cols, rows = query(db, "SELECT version, name FROM main.schema_migrations ORDER BY version")
    assert [r[0] for r in rows] == [v for v, _, _ in migrations()]
    batch2, summary2 = make_batch("run-2")
    assert load_batch(db, batch2, summary2) == []  # nothing pending the second time


def test_load_writes_every_layer_once_and_reloading_changes_nothing(tmp_path):
    db = tmp_path / "w.duckdb"
    batch, summary = make_batch()
    load_batch(db, batch, summary)
    first = snapshot(db)
    assert {t: len(v) for t, v in first.items()} == {
        "raw.documents": 3, "staging.articles": 3, "staging.duplicates": 1,
        "staging.lsh_bands": 6, "staging.article_signatures": 3, "staging.event_mentions": 1, "ops.failures": 1, "ops.runs": 1,
    }
    load_batch(db, batch, summary)  # the same run again
    assert snapshot(db) == first
    assert run_checks(db) == {}


def test_views_answer(tmp_path):
    db = tmp_path / "w.duckdb"
    load_batch(db, *make_batch())
    _, rows = query(db, "SELECT title IS NULL, n_copies, n_events FROM marts.articles ORDER BY n_copies DESC")
    assert rows == [(True, 1, 1), (True, 0, 0)]
    _, rows = query(db, "SELECT event_date::VARCHAR, event_type, n_events FROM marts.daily_events")
    assert rows == [("2024-01-04", "ASSAULT", 1)]
    _, rows = query(db, "SELECT reason, member_source, is_canonical FROM marts.duplicate_groups ORDER BY reason")
    assert rows == [("exact", "mirror", False), ("original", "seed", True)]


def test_a_crash_mid_load_leaves_no_part_of_the_batch(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    load_batch(db, *make_batch("run-0"))
    before = snapshot(db)
    batch, summary = make_batch("run-1")
    from dataclasses import replace
    from tasks.records import Failure

    batch = replace(batch, failures=batch.failures + (Failure.of("x", "y.txt", "clean", "binary", "binary"),))
    calls = []
    real_sql = sql

    def failing_sql(name):
        calls.append(name)
        if name == "insert_failures":
            raise OSError(28, "No space left on device")
        return real_sql(name)

    monkeypatch.setattr("tasks.load.sql", failing_sql)
    with pytest.raises(WarehouseError, match="nothing was written: .*No space left"):
        load_batch(db, batch, summary)
    assert "insert_raw_documents" in calls  # it really was half-way through
    assert snapshot(db) == before


def test_known_ids_and_index_lookups(tmp_path):
    db = tmp_path / "w.duckdb"
    assert known_raw_ids(db, ["x"]) == set()
    with WarehouseIndex(db) as idx:  # no file yet: an empty index
        assert idx.find_hashes(["hash-0"]) == {} and idx.band_matches([0]) == {} and idx.texts(["x"]) == {}
    batch, summary = make_batch()
    load_batch(db, batch, summary)
    a, b, c = (x.article_id for x in batch.articles)
    assert known_raw_ids(db, [a, "nope"]) == {a}
    with WarehouseIndex(db) as idx:
        assert idx.find_hashes(["hash-0", "hash-9"]) == {"hash-0": a}  # c has the same hash; it duplicates a
        assert idx.find_urls(["https://ex.com/b", "https://nowhere"]) == {"https://ex.com/b": b}
        # c is a duplicate: its keys are stored, but only originals are candidates
        assert idx.band_matches([0, 102, 7]) == {0: [a]}
        assert idx.band_matches([1, 101]) == {1: [b], 101: [b]}
        sigs = idx.signatures([a, b, c, "nope"])
        assert sorted(sigs) == sorted([a, b, c]) and sigs[b][1] == 11 and sigs[b][0].tobytes() == bytes([1]) * 8
        assert idx.texts([b, "nope"]) == {b: batch.articles[1].text}
    load_batch(db, batch, summary)  # the same night again: no key or signature is stored twice
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM staging.lsh_bands").fetchone()[0] == 6
        assert con.execute("SELECT count(*) FROM staging.article_signatures").fetchone()[0] == 3


def test_query_is_read_only(tmp_path):
    db = tmp_path / "w.duckdb"
    load_batch(db, *make_batch())
    with pytest.raises(WarehouseError, match="query failed: .*read-only"):
        query(db, "DELETE FROM ops.runs")
    with pytest.raises(WarehouseError, match="no warehouse at"):
        query(tmp_path / "none.duckdb", "SELECT 1")


def test_unwritable_database_paths(tmp_path):
    with pytest.raises(WarehouseError, match="is a directory"):
        check_writable(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(WarehouseError, match="cannot create the folder"):
        check_writable(blocker / "sub" / "w.duckdb")
    not_db = tmp_path / "notes.duckdb"
    not_db.write_text("this is not a database")
    batch, summary = make_batch()
    with pytest.raises(WarehouseError) as e:
        load_batch(not_db, batch, summary)
    assert "\n" not in str(e.value)


def test_parse_timestamp():
    assert parse_timestamp("2024-01-05").isoformat() == "2024-01-05T00:00:00+00:00"
    assert parse_timestamp("2011-11-02T17:25:27+02:00").isoformat() == "2011-11-02T15:25:27+00:00"
    assert parse_timestamp("Wed, 02 Nov 2011") is None and parse_timestamp(None) is None


def test_chunked_statements_load_the_same_rows(tmp_path, monkeypatch):
    whole, chunked = tmp_path / "whole.duckdb", tmp_path / "chunked.duckdb"
    load_batch(whole, *make_batch())
    monkeypatch.setattr("tasks.load.CHUNK_ROWS", 2)
    monkeypatch.setattr("tasks.load.CHUNK_BYTES", 100)
    load_batch(chunked, *make_batch())
    assert snapshot(chunked) == snapshot(whole)


def test_chunks_respect_rows_and_bytes():
    from tasks.load import chunks

    rows = [("a" * 40, 1), ("b" * 40, 2), ("c" * 40, 3), ("d" * 500, 4), ("e", 5)]
    # a row counts its text plus 16 bytes a value: 40 + 16 + 16 = 72, so two rows fit in 150
    assert [len(c) for c in chunks(rows, max_rows=10, max_bytes=150)] == [2, 1, 1, 1]
    assert [len(c) for c in chunks(rows, max_rows=2, max_bytes=10_000)] == [2, 2, 1]
    assert list(chunks([], 2, 100)) == []


def test_a_file_locked_by_another_process_gives_a_one_line_error(tmp_path):
    import subprocess
    import sys

    db = tmp_path / "w.duckdb"
    load_batch(db, *make_batch())
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({str(db)!r}); print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseError, match=r"is locked by another process .*PID \d+") as e:
            query(db, "SELECT 1")
        assert "\n" not in str(e.value)
        with pytest.raises(WarehouseError, match="is locked by another process"):
            load_batch(db, *make_batch("run-2"))
    finally:
        holder.communicate("")
    assert query(db, "SELECT count(*) FROM ops.runs")[1] == [(1,)]  # the refused load wrote nothing


def test_article_metadata_and_live_source_rows_land_typed(tmp_path):
    from dataclasses import replace

    from tasks.fetch import RobotsEntry
    from tasks.sources import EntryRecord, SourceState

    batch, summary = make_batch()
    first = replace(batch.articles[0], modified="2024-01-06T09:30:00+01:00", section="World",
                    tags=("Iraq", "US"), image_url="https://ex.com/a.jpg",
                    field_sources=(("title", "og"), ("published", "json-ld")))
    doc = batch.documents[0]
    entry = EntryRecord("e1", "seed", "urn:a", "https://ex.com/a", "2024-01-06T08:30:00+00:00", 2, doc.raw_id, NOW)
    state = SourceState("seed", "https://ex.com/feed", etag='"v1"', last_fetch_at=NOW, last_status="ok")
    robots = RobotsEntry("https://ex.com:443", 200, "User-agent: *\nDisallow:\n", NOW)
    batch = replace(batch, articles=(first, *batch.articles[1:]), entries=(entry,), source_states=(state,),
                    robots=(robots,))
    db = tmp_path / "w.duckdb"
    load_batch(db, batch, summary)
    load_batch(db, batch, summary)  # again: nothing changes, nothing doubles
    assert query(db, "SELECT modified_at, section, tags, image_url, field_sources->>'title' "
                     "FROM staging.articles WHERE article_id = ?", [first.article_id])[1] == [
        (datetime(2024, 1, 6, 8, 30, tzinfo=timezone.utc), "World", ["Iraq", "US"], "https://ex.com/a.jpg", "og")]
    assert query(db, "SELECT entry_key, version FROM raw.feed_entries")[1] == [("urn:a", 2)]
    assert query(db, "SELECT source, etag, consecutive_failures FROM ops.source_state")[1] == [("seed", '"v1"', 0)]
    assert query(db, "SELECT origin, status FROM raw.robots")[1] == [("https://ex.com:443", 200)]
    assert run_checks(db) == {}


def test_migration_008_gives_articles_stored_before_it_signatures_and_band_keys(tmp_path):
    from dataclasses import replace

    from tasks.dedup import fingerprint
    from tests.factories import TEXT_A

    db = tmp_path / "old.duckdb"
    with migrated_up_to(db, 7) as con:  # a warehouse as migration 007 left it, with one article
        con.execute("INSERT INTO staging.articles (article_id, raw_id, source, url, authors, text, text_hash,"
                    " word_count, run_id) VALUES ('old1', 'old1', 'seed', 'https://ex.com/old', [], ?, 'h', 12, 'run-0')",
                    [TEXT_A])
    batch, summary = make_batch()
    assert "008_dedup_signatures.sql" in load_batch(db, batch, summary)
    with connect(db, read_only=True) as con:
        sig = con.execute("SELECT signature, shingle_count FROM staging.article_signatures WHERE article_id = 'old1'"
                          ).fetchone()
        keys = {k for (k,) in con.execute("SELECT band_key FROM staging.lsh_bands WHERE article_id = 'old1'").fetchall()}
    fp = fingerprint(replace(batch.articles[0], article_id="old1", url="https://ex.com/old"))
    assert sig == (fp.signature, fp.shingle_count) and keys == set(fp.band_keys)
    # Tonight's copy of the old article finds it through the stored keys.
    with WarehouseIndex(db) as idx:
        assert "old1" in {a for ids in idx.band_matches(fp.band_keys).values() for a in ids}


GROWING_TABLES = ("raw.documents", "raw.feed_entries", "staging.articles", "staging.duplicates",
                  "staging.article_signatures", "staging.event_mentions", "ops.failures")


def test_tables_that_grow_every_night_have_no_key_index(tmp_path):
    """Migration 013: DuckDB holds a key index wholly in memory while a batch inserts into its table,
    so the tables that grow every night have none (memory stays flat however much is stored)."""
    db = tmp_path / "w.duckdb"
    load_batch(db, *make_batch())
    with connect(db, read_only=True) as con:
        keyed = {f"{s}.{t}" for s, t in con.execute(
            "SELECT schema_name, table_name FROM duckdb_constraints() WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE')"
            " UNION SELECT schema_name, table_name FROM duckdb_indexes()").fetchall()}
    assert keyed.isdisjoint(GROWING_TABLES)
    assert {"ops.runs", "ops.source_state", "raw.robots"} <= keyed  # the small upserted tables keep theirs


def test_migration_013_keeps_every_row_and_its_constraints(tmp_path):
    db = tmp_path / "old.duckdb"
    batch, summary = make_batch()
    with migrated_up_to(db, 12) as con:  # a warehouse as migration 012 left it, the batch's rows in its keyed tables
        from tasks.load import batch_rows

        for name, rows in batch_rows(batch, summary).items():
            if rows:
                con.execute(sql(name), [list(col) for col in zip(*rows)])
    before = snapshot(db)
    assert sum(map(len, before.values())) > 10
    batch2, summary2 = make_batch("run-2")
    assert load_batch(db, batch2, summary2) == ["013_no_key_indexes.sql"]
    assert snapshot(db) == {**before, "ops.runs": snapshot(db)["ops.runs"]}  # the same batch again adds nothing
    with connect(db, read_only=False) as con:
        with pytest.raises(duckdb.ConstraintException):  # NOT NULL kept
            con.execute("INSERT INTO staging.articles (article_id) VALUES ('x')")
    assert run_checks(db) == {}


def test_the_keys_unique_check_finds_a_key_stored_twice(tmp_path):
    db = tmp_path / "w.duckdb"
    load_batch(db, *make_batch())
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO ops.failures SELECT * FROM ops.failures")
    failing = run_checks(db)
    assert list(failing) == ["keys_unique"]
    assert [(t, n) for t, _, n in failing["keys_unique"]] == [("ops.failures", 2)]
