"""`newsflow backfill --from DATE --to DATE`: only the window lands, twice changes nothing, and a
later backfill of another window still finds the documents the first one left out."""

from __future__ import annotations

import inspect
import io
import json
import subprocess
import sys

import duckdb
import pytest

from flows.cli import main
from tasks.backfill import in_window, parse_window, split_by_window, window_only
from tasks.errors import ConfigError
from tests.conftest import ROOT

TABLES = ["raw.documents", "staging.articles", "staging.duplicates", "staging.event_mentions", "ops.failures"]

# Five articles of an archive, one per date (sidecar dates for the files, a JSONL line's own date).
ARCHIVE = {
    "a-2024-01-02.txt": ("2024-01-02", "Farmers in the north blocked a highway for several hours in protest against new water charges."),
    "b-2024-01-10.txt": ("2024-01-10", "The central bank kept its main interest rate unchanged, citing slowing inflation and weak demand."),
    "c-2024-01-31.txt": ("2024-01-31", "Dockworkers at the country's largest port walked out over pay, halting container traffic overnight."),
    "d-2024-02-01.txt": ("2024-02-01", "A new railway line linking the two largest cities opened to passengers after a decade of delays."),
}
JSONL = {"id": "e", "published": "2024-01-15T09:30:00+00:00",
         "text": "Teachers in the capital held a rally outside parliament to demand smaller classes and better pay."}


def snapshot(db):
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLES}


def published_dates(db):
    with duckdb.connect(str(db), read_only=True) as con:
        return [r[0] for r in con.execute(
            "SELECT published_date::VARCHAR FROM staging.articles ORDER BY published_date").fetchall()]


@pytest.fixture
def archive(tmp_path):
    folder = tmp_path / "archive"
    folder.mkdir()
    sidecar = []
    for name, (day, text) in ARCHIVE.items():
        (folder / name).write_text(text + "\n", encoding="utf-8")
        sidecar.append(f'{name}:\n  published: "{day}"\n')
    (folder / "metadata.yaml").write_text("".join(sidecar), encoding="utf-8")
    (folder / "more.jsonl").write_text(json.dumps(JSONL) + "\n", encoding="utf-8")
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - name: archive\n    folder: {folder}\n", encoding="utf-8")
    return sources, tmp_path / "w.duckdb"


def backfill(*argv):
    out = io.StringIO()
    return main(["backfill", *argv], out=out), out.getvalue()


def test_parse_window_accepts_iso_dates_and_refuses_bad_or_reversed_ones():
    assert parse_window("2024-01-01", " 2024-01-31") == ("2024-01-01", "2024-01-31")
    assert parse_window("2024-02-29", "2024-02-29") == ("2024-02-29", "2024-02-29")  # one day
    for start, end, message in [("2024-1-1", "2024-01-31", "--from must be a date as YYYY-MM-DD, not '2024-1-1'"),
                                ("2024-01-01", "2023-02-30", "--to must be a date as YYYY-MM-DD, not '2023-02-30'"),
                                ("yesterday", "2024-01-31", "--from must be a date"),
                                ("2024-02-01", "2024-01-31", "--from 2024-02-01 is after --to 2024-01-31")]:
        with pytest.raises(ConfigError, match=message):
            parse_window(start, end)


def test_in_window_is_inclusive_and_reads_the_date_as_written():
    assert in_window("2024-01-01", "2024-01-01", "2024-01-31") and in_window("2024-01-31T23:59:00-05:00", None, "2024-01-31")
    assert not in_window("2024-02-01", "2024-01-01", "2024-01-31") and not in_window("2023-12-31T23:00:00Z", "2024-01-01", None)
    assert not in_window(None, "2024-01-01", "2024-01-31") and not in_window("Jan 5", None, "2024-01-31")
    assert in_window(None, None, None)  # no window: everything
    inside, outside = split_by_window(["2024-01-05", None, "2024-03-01"], lambda d: d, "2024-01-01", "2024-01-31")
    assert (inside, outside) == (["2024-01-05"], [None, "2024-03-01"])


def test_window_only_keeps_the_articles_inside_and_only_their_documents():
    from tasks.records import Article
    from tasks.sources import raw_document

    docs = [raw_document("s", f"{i}.txt", "text", f"text {i}".encode(), "2026-01-01T00:00:00+00:00")
            for i in range(4)]
    dates = ["2025-03-01", "2025-03-31T23:00:00+00:00", "2025-04-01", None]
    articles = [Article(d.raw_id, d.raw_id, "s", None, None, None, (), day, None, None, None, "x")
                for d, day in zip(docs, dates)]
    kept_docs, kept = window_only(docs, articles, "2025-03-01", "2025-03-31")
    assert [a.published for a in kept] == dates[:2]
    assert kept_docs == docs[:2]
    assert window_only(docs, articles, None, None) == (docs, articles)


@pytest.mark.parametrize("argv, message", [
    (["--from", "2024-02-01", "--to", "2024-01-01"], "--from 2024-02-01 is after --to 2024-01-01: the window is empty"),
    (["--from", "01/02/2024", "--to", "2024-01-31"], "--from must be a date as YYYY-MM-DD, not '01/02/2024'"),
])
def test_bad_windows_are_one_line_errors(argv, message, tmp_path):
    r = subprocess.run([sys.executable, "-m", "flows.cli", "backfill", *argv, "--db", str(tmp_path / "w.duckdb")],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [f"newsflow backfill: error: {message}"]
    assert not (tmp_path / "w.duckdb").exists()


def test_the_window_is_required(capsys):
    with pytest.raises(SystemExit) as e:
        main(["backfill", "--from", "2024-01-01"])
    assert e.value.code == 2 and "--to" in capsys.readouterr().err


def _flow_has_window() -> bool:
    from flows.nightly import nightly_ingest

    return "published_from" in inspect.signature(nightly_ingest.fn).parameters


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.skipif(not _flow_has_window(), reason="nightly_ingest has no published_from/published_to yet")
def test_only_the_window_lands_twice_changes_nothing_and_another_window_adds_the_rest(archive):
    sources, db = archive
    code, out = backfill("--from", "2024-01-10", "--to", "2024-01-31", "--sources", str(sources), "--db", str(db))
    assert code == 0 and "backfill of articles published 2024-01-10 to 2024-01-31:" in out
    assert published_dates(db) == ["2024-01-10", "2024-01-15", "2024-01-31"]  # both ends included
    first = snapshot(db)
    assert len(first["raw.documents"]) == 3  # the documents left out are not stored either

    assert backfill("--from", "2024-01-10", "--to", "2024-01-31", "--sources", str(sources), "--db", str(db))[0] == 0
    assert snapshot(db) == first  # idempotent

    assert backfill("--from", "2024-01-01", "--to", "2024-02-29", "--sources", str(sources), "--db", str(db))[0] == 0
    assert published_dates(db) == ["2024-01-02", "2024-01-10", "2024-01-15", "2024-01-31", "2024-02-01"]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM ops.runs").fetchone()[0] == 3
