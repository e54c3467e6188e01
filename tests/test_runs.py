"""`newsflow runs`: recent runs from ops.runs, newest first, as a table or JSON lines; each run's
per-source status is stored (migration 011) and shown."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import duckdb
import pytest

from flows.cli import main
from tasks.load import load_batch
from tasks.records import RunSummary, SourceRun
from tests.factories import make_batch


def runs(*argv):
    out = io.StringIO()
    code = main(["runs", *argv], out=out)
    return code, out.getvalue()


@pytest.fixture
def db(tmp_path):
    db = tmp_path / "w.duckdb"
    batch, summary = make_batch("run-1")
    load_batch(db, batch, summary)  # a summary with no per-source list (as before migration 011)
    for n, hour in ((2, "03"), (3, "04")):
        batch, summary = make_batch(f"run-{n}")
        load_batch(db, batch, replace(
            summary, started_at=f"2026-11-2{n + 2}T{hour}:00:00+00:00", seconds=float(n),
            sources=(SourceRun("seed", "folder", "ok", 3), SourceRun("bbc", "feed", "failed", 0, 1, "http-503"))))
    return db


def test_the_run_row_stores_each_sources_status(db):
    with duckdb.connect(str(db), read_only=True) as con:
        stored = con.execute("SELECT sources FROM ops.runs WHERE run_id = 'run-3'").fetchone()[0]
        old = con.execute("SELECT sources FROM ops.runs WHERE run_id = 'run-1'").fetchone()[0]
    assert json.loads(stored) == [
        {"name": "seed", "kind": "folder", "status": "ok", "documents": 3, "failures": 0, "error": None},
        {"name": "bbc", "kind": "feed", "status": "failed", "documents": 0, "failures": 1, "error": "http-503"}]
    assert json.loads(old) == []


def test_runs_lists_the_latest_first_as_a_table(db):
    code, out = runs("--db", str(db))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["run_id", "started_at", "status", "seconds", "documents", "new", "duplicate",
                                "failed", "events", "sources"]
    assert [line.split()[0] for line in lines[2:5]] == ["run-3", "run-2", "run-1"]
    assert lines[2].split()[1:4] == ["2026-11-25", "04:00:00", "completed"]
    assert lines[2].endswith("1 failed, 1 ok (bbc: http-503)")
    assert lines[-1] == "(3 rows)"
    assert runs("--db", str(db), "--limit", "1")[1].splitlines()[-1] == "(1 row)"


def test_runs_as_json_lines_have_every_column_parsed(db):
    code, out = runs("--db", str(db), "--format", "json", "--limit", "2")
    recs = [json.loads(line) for line in out.splitlines()]
    assert [r["run_id"] for r in recs] == ["run-3", "run-2"]
    assert recs[0]["started_at"] == "2026-11-25T04:00:00+00:00"
    assert recs[0]["stage_seconds"] == {"clean": 0.1} and recs[0]["sources"][1]["error"] == "http-503"
    assert recs[0]["articles_new"] == 2 and recs[0]["seconds"] == 3.0


def test_runs_errors_are_one_line(tmp_path, capsys):
    assert runs("--db", str(tmp_path / "none.duckdb"))[0] == 2
    assert "no warehouse at" in capsys.readouterr().err
    assert runs("--limit", "0", "--db", str(tmp_path / "none.duckdb"))[0] == 2
    assert "--limit must be at least 1" in capsys.readouterr().err


def test_a_warehouse_from_before_migration_011_still_lists(db):
    with duckdb.connect(str(db)) as con:
        con.execute("ALTER TABLE ops.runs DROP COLUMN sources")
    code, out = runs("--db", str(db))
    assert code == 0 and "run-3" in out


def test_a_summary_spooled_before_011_loads(tmp_path):
    """A RunSummary pickled by an older version has no `sources` attribute at all."""
    batch, summary = make_batch("run-old")
    legacy = RunSummary.__new__(RunSummary)
    object.__setattr__(legacy, "__dict__", {k: v for k, v in summary.__dict__.items() if k != "sources"})
    load_batch(tmp_path / "w.duckdb", batch, legacy)
    assert runs("--db", str(tmp_path / "w.duckdb"))[0] == 0
