"""Reprocessing (`newsflow reprocess --clean/--dedup/--events`) on a warehouse the real flow built.

Two nights: the seed articles and pages, then a syndicated copy of a seed (a near duplicate
across nights), a file that cannot be cleaned and a new article. Reprocessing recomputes from
the stored raw documents only; every test works on its own copy of that warehouse.
"""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import replace

import duckdb
import pytest

from flows.cli import main
from flows.nightly import nightly_ingest
from tasks.reprocess import stages_from
from tasks.warehouse import query, run_checks
from tests.conftest import SEEDS

pytestmark = pytest.mark.usefixtures("prefect_harness")

TABLES = ["raw.documents", "raw.feed_entries", "staging.articles", "staging.duplicates", "staging.lsh_bands",
          "staging.article_signatures", "staging.event_mentions", "ops.failures", "ops.runs",
          "ops.source_state", "main.schema_migrations"]
SEED0 = "000_6d746afb71c21aef.txt"
PARIS = "Thousands of protesters marched through central Paris on Monday against the new pension law."


def snapshot(db):
    """Every row of every table, run ids included."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLES}


def rows(db, sql, params=None):
    return query(db, sql, params)[1]


def reprocess(db, *flags, page_size=None):
    out = io.StringIO()
    argv = ["reprocess", *flags, "--db", str(db)] + (["--page-size", str(page_size)] if page_size else [])
    code = main(argv, out=out)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory):
    root = tmp_path_factory.mktemp("reprocess")
    night2 = root / "night2"
    night2.mkdir()
    lines = [line for line in (SEEDS / SEED0).read_text(encoding="utf-8").splitlines() if line.strip()]
    copy = "\n".join(lines[:-2] + ["Our correspondent in Baghdad said the mood in the capital was tense on Friday."])
    (night2 / "syndicated.jsonl").write_text(json.dumps({  # a rewrite: containment 0.96
        "id": "partner-copy", "url": "https://partner.example/world/iraq-strikes", "title": "Iraq condemns US strikes",
        "published": "2023-11-22", "text": copy,
    }) + "\n", encoding="utf-8")
    (night2 / "empty.txt").write_bytes(b"")
    (night2 / "farmers.txt").write_text(
        "Farmers in the north of the country protested on Friday against new water charges, blocking a "
        "highway for several hours.\n\nThe regional government said it would meet their leaders next week.\n",
        encoding="utf-8")
    first = root / "first.yaml"
    first.write_text(f"sources:\n  - name: seed-articles\n    folder: {SEEDS}\n"
                     f"  - name: seed-pages\n    folder: {SEEDS / 'pages'}\n")
    second = root / "second.yaml"
    second.write_text(f"sources:\n  - name: seed-articles\n    folder: {SEEDS}\n  - name: night2\n    folder: {night2}\n")
    db = root / "newsflow.duckdb"
    nightly_ingest(sources_file=str(first), db_path=str(db))
    nightly_ingest(sources_file=str(second), db_path=str(db))
    assert rows(db, "SELECT count(*) FROM ops.runs") == [(2,)]
    assert rows(db, "SELECT count(*) FROM staging.duplicates WHERE reason = 'near'") == [(1,)]  # the copy, on night 2
    assert rows(db, "SELECT reason FROM ops.failures") == [("empty",)]
    return db


@pytest.fixture
def db(two_nights, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(two_nights, copy)
    return copy


def seed_article(db):
    return rows(db, "SELECT a.article_id FROM staging.articles a JOIN raw.documents r USING (raw_id) "
                    "WHERE r.locator = ?", [SEED0])[0][0]


def test_each_stage_brings_the_stages_after_it():
    assert stages_from(clean=True) == ("clean", "dedup", "events")
    assert stages_from(dedup=True) == ("dedup", "events")
    assert stages_from(events=True) == ("events",)
    assert stages_from(dedup=True, events=True) == ("dedup", "events")
    assert stages_from() == ()


def test_reprocessing_everything_with_unchanged_code_changes_nothing(db):
    before = snapshot(db)
    code, out = reprocess(db, "--clean", page_size=3)  # several pages
    assert code == 0
    assert "reprocess clean: 8 raw documents: 7 articles (0 texts changed, 0 new, 0 removed), 1 clean failures" in out
    assert "reprocess dedup: 7 articles in 2 runs: duplicates 1 -> 1, 0 decisions changed" in out
    assert "reprocess events: 6 articles" in out
    assert snapshot(db) == before  # every row, run ids included
    assert run_checks(db) == {}


def test_a_changed_cleaner_updates_the_text_and_the_events_and_a_second_run_changes_nothing(db, monkeypatch):
    import tasks.reprocess

    original = snapshot(db)
    real = tasks.reprocess.clean_documents

    def cleaner_v2(raws):
        articles, failures = real(raws)
        return [replace(a, text=a.text + "\n\n" + PARIS) if a.raw_id == aid else a for a in articles], failures

    aid = seed_article(db)
    monkeypatch.setattr(tasks.reprocess, "clean_documents", cleaner_v2)
    code, out = reprocess(db, "--clean")
    assert code == 0 and "(1 texts changed, 0 new, 0 removed)" in out
    assert rows(db, "SELECT text LIKE '%' || ? FROM staging.articles WHERE article_id = ?", [PARIS, aid]) == [(True,)]
    # the downstream stages followed: the new sentence's event, and the night-2 copy (which lacks the
    # sentence) is still a near duplicate of the seed
    assert rows(db, "SELECT event_type, event_date::VARCHAR FROM marts.event_mentions WHERE article_id = ? "
                    "AND sentence = ?", [aid, PARIS]) == [("PROTEST", "2023-11-20")]
    assert rows(db, "SELECT count(*) FROM staging.duplicates WHERE duplicate_of = ? AND reason = 'near'", [aid]) == [(1,)]
    assert run_checks(db) == {}
    changed = snapshot(db)
    assert changed["staging.articles"] != original["staging.articles"]
    assert changed["staging.article_signatures"] != original["staging.article_signatures"]

    assert reprocess(db, "--clean")[0] == 0  # again, same cleaner: nothing changes
    assert snapshot(db) == changed

    monkeypatch.setattr(tasks.reprocess, "clean_documents", real)  # the old cleaner back: the old warehouse back
    assert reprocess(db, "--clean")[0] == 0
    assert snapshot(db) == original


def test_a_document_that_no_longer_cleans_loses_its_article_and_everything_derived_from_it(db, monkeypatch):
    import tasks.reprocess
    from tasks.records import Failure

    original = snapshot(db)
    aid = seed_article(db)
    real = tasks.reprocess.clean_documents

    def stricter(raws):
        articles, failures = real(raws)
        gone = [a for a in articles if a.raw_id == aid]
        failures += [Failure.of(a.source, SEED0, "clean", "too-short", "stricter rule") for a in gone]
        return [a for a in articles if a.raw_id != aid], failures

    monkeypatch.setattr(tasks.reprocess, "clean_documents", stricter)
    code, out = reprocess(db, "--clean")
    assert code == 0 and "0 new, 1 removed), 2 clean failures" in out
    for table in ("staging.articles", "staging.article_signatures", "staging.lsh_bands", "staging.event_mentions"):
        assert rows(db, f"SELECT count(*) FROM {table} WHERE article_id = ?", [aid]) == [(0,)], table
    assert rows(db, "SELECT reason FROM ops.failures WHERE locator = ?", [SEED0]) == [("too-short",)]
    # its copy from night 2 is no longer a duplicate: it is the story now, with events of its own
    copy = rows(db, "SELECT article_id FROM staging.articles WHERE source = 'night2' AND url LIKE '%partner%'")[0][0]
    assert rows(db, "SELECT count(*) FROM staging.duplicates WHERE article_id = ?", [copy]) == [(0,)]
    assert rows(db, "SELECT count(*) > 0 FROM marts.event_mentions WHERE article_id = ?", [copy]) == [(True,)]
    assert run_checks(db) == {}

    monkeypatch.setattr(tasks.reprocess, "clean_documents", real)
    assert reprocess(db, "--clean")[0] == 0
    assert snapshot(db) == original  # it cleans again: its article and failures as before


def test_dedup_with_another_threshold_changes_the_decisions_and_the_events_follow(db, monkeypatch):
    original = snapshot(db)
    monkeypatch.setenv("NEWSFLOW_NEAR_DUP_THRESHOLD", "0.99")  # the rewrite (containment 0.96) is not one
    code, out = reprocess(db, "--dedup")
    assert code == 0 and "duplicates 1 -> 0, 1 decisions changed" in out
    assert rows(db, "SELECT count(*) FROM staging.duplicates") == [(0,)]
    copy = rows(db, "SELECT article_id FROM staging.articles WHERE url LIKE '%partner%'")[0][0]
    assert rows(db, "SELECT count(*) > 0 FROM marts.event_mentions WHERE article_id = ?", [copy]) == [(True,)]
    assert run_checks(db) == {}
    monkeypatch.delenv("NEWSFLOW_NEAR_DUP_THRESHOLD")
    code, out = reprocess(db, "--dedup")
    assert "duplicates 0 -> 1, 1 decisions changed" in out
    assert snapshot(db) == original


def test_an_interrupted_reprocess_leaves_whole_pages_and_the_next_run_completes_it(db, monkeypatch):
    import flows.reprocess
    import tasks.reprocess

    real_clean, real_write = tasks.reprocess.clean_documents, flows.reprocess.replace_articles

    def cleaner_v2(raws):
        articles, failures = real_clean(raws)
        return [replace(a, text=a.text + "\n\n" + PARIS) for a in articles], failures

    monkeypatch.setattr(tasks.reprocess, "clean_documents", cleaner_v2)
    pages = []

    def dies_on_the_third_page(*args, **kw):
        if len(pages) == 2:
            raise KeyboardInterrupt
        real_write(*args, **kw)
        pages.append(args[1])

    monkeypatch.setattr(flows.reprocess, "replace_articles", dies_on_the_third_page)
    code, _ = reprocess(db, "--clean", page_size=3)
    assert code == 130
    done = {raw_id for page in pages for raw_id in page}
    assert len(done) == 6  # two whole pages of three raw documents
    articles = rows(db, "SELECT article_id, text LIKE '%' || ? FROM staging.articles", [PARIS])
    assert {aid for aid, redone in articles if redone} == {aid for aid, _ in articles if aid in done}

    monkeypatch.setattr(flows.reprocess, "replace_articles", real_write)
    assert reprocess(db, "--clean", page_size=3)[0] == 0
    interrupted = snapshot(db)
    assert rows(db, "SELECT count(*) FROM staging.articles WHERE text NOT LIKE '%' || ?", [PARIS]) == [(0,)]
    assert run_checks(db) == {}
    # the same as an uninterrupted run from the same start
    assert reprocess(db, "--clean", page_size=3)[0] == 0
    assert snapshot(db) == interrupted


def test_the_command_needs_a_stage_a_page_size_and_a_warehouse(db, tmp_path, capsys):
    assert reprocess(db)[0] == 2
    assert "choose what to recompute: --clean, --dedup and/or --events" in capsys.readouterr().err
    assert reprocess(db, "--events", page_size=-1)[0] == 2
    assert reprocess(tmp_path / "none.duckdb", "--clean")[0] == 2
    assert "no warehouse there yet" in capsys.readouterr().err
