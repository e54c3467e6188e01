"""Whole flow runs under one prefect_test_harness: the seeds, a re-run, bad input, the README's
analyst queries, and the warehouse's data tests."""

import base64
import json
import re
import shutil

import duckdb
import pytest

from flows.nightly import nightly_ingest
from tasks.warehouse import query, run_checks
from tests.conftest import DATA, ROOT, SEEDS
from tests.factories import warehouse_contents

pytestmark = pytest.mark.usefixtures("prefect_harness")

TABLES = ["raw.documents", "raw.feed_entries", "staging.articles", "staging.duplicates", "staging.lsh_bands", "staging.article_signatures",
          "staging.event_mentions", "ops.failures", "main.schema_migrations"]
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def snapshot(db):
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLES}


def rows(db, sql, params=None):
    return query(db, sql, params)[1]


@pytest.fixture(scope="module")
def seed_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("seed") / "newsflow.duckdb"
    first = nightly_ingest(db_path=str(db))
    return db, first


def test_a_night_in_small_batches_builds_the_same_warehouse(seed_db, tmp_path, monkeypatch):
    """25 seed documents in batches of 4 (7 transactions, each batch de-duplicated against the ones
    loaded before it, the next batch cleaned meanwhile) give what one batch gives."""
    db, first = seed_db
    monkeypatch.setenv("NEWSFLOW_BATCH_SIZE", "4")
    monkeypatch.setenv("NEWSFLOW_MAP_SIZE", "2")
    small = nightly_ingest(db_path=str(tmp_path / "small.duckdb"))
    assert (small.documents_read, small.articles_new, small.articles_duplicate, small.events_extracted) == (
        first.documents_read, first.articles_new, first.articles_duplicate, first.events_extracted)
    a, b = warehouse_contents(db), warehouse_contents(tmp_path / "small.duckdb")
    assert a.keys() == b.keys()
    for table in a:
        assert a[table] == b[table], table


def test_seed_run_counts(seed_db):
    db, s = seed_db
    assert (s.sources_read, s.documents_read) == (3, 25)  # 2 seed texts, 3 pages, 20 feed entries
    assert s.articles_new + s.articles_duplicate + s.articles_failed == 25
    assert s.articles_new >= 23 and s.events_extracted > 0
    assert rows(db, "SELECT count(*) FROM raw.documents") == [(25,)]
    assert rows(db, "SELECT count(*) FROM staging.articles") == [(s.articles_new + s.articles_duplicate,)]
    assert rows(db, "SELECT count(*) FROM marts.event_mentions") == [(s.events_extracted,)]
    assert rows(db, "SELECT status, articles_new, events_extracted FROM ops.runs") == [
        ("completed", s.articles_new, s.events_extracted)
    ]
    # the run's row is its final one: the whole run's time and every stage, the last refill included
    [(seconds, stages)] = rows(db, "SELECT seconds, stage_seconds FROM ops.runs")
    assert seconds == pytest.approx(s.seconds) and json.loads(stages) == s.stage_seconds
    assert run_checks(db) == {}
    # the feed's authors reach the staged article when the content names none
    assert rows(db, "SELECT authors FROM staging.articles WHERE title LIKE 'Angie%'") == [(["Leena Rao"],)]


def test_second_run_changes_nothing(seed_db, tmp_path):
    db, _ = seed_db
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(db, copy)
    before = snapshot(copy)
    again = nightly_ingest(db_path=str(copy))
    assert (again.documents_read, again.articles_new, again.articles_duplicate,
            again.articles_failed, again.events_extracted) == (5, 0, 0, 0, 0)  # the feed's 20 entries are known
    assert snapshot(copy) == before
    assert rows(copy, "SELECT count(*) FROM ops.runs") == [(2,)]


def _seed_article(db, name):
    return rows(db, "SELECT article_id, text FROM staging.articles a JOIN raw.documents r USING (raw_id) "
                    "WHERE r.locator = ?", [name])[0]


def test_seed_expectations(seed_db):
    db, _ = seed_db
    a000, _ = _seed_article(db, "000_6d746afb71c21aef.txt")
    a003, text003 = _seed_article(db, "003_9739e647ac3eb03e.txt")
    for junk in ("Benghazi", "CLICK HERE", "Getty Images", "BLINKEN HEADS BACK", "Associated Press contributed"):
        assert junk not in text003
    events = lambda sql, *p: rows(db, "SELECT count(*) FROM marts.event_mentions WHERE " + sql, list(p))[0][0]  # noqa: E731
    assert events("article_id = ? AND event_type = 'ACCUSE' AND actor_country = 'IRQ' AND recipient_country = 'USA'", a000)
    assert events("article_id = ? AND event_type = 'ASSAULT' AND mode = 'aerial' AND actor_country = 'USA' "
                  "AND recipient_country = 'IRQ' AND recipient_sector = 'REB' AND dead = 8", a000)
    assert events("article_id = ? AND event_type = 'ASSAULT' AND mode = 'drone' AND actor_country = 'USA' "
                  "AND place_name = 'Baghdad' AND event_date = DATE '2024-01-04'", a003)
    assert events("event_type = 'REQUEST' AND actor_country = 'IRQ' AND recipient_country = 'USA' "
                  "AND article_id IN (?, ?)", a000, a003)
    assert not events("sentence LIKE '%Benghazi%' OR place_country = 'LBY' OR year(event_date) = 2013")


@pytest.fixture(scope="module")
def messy_db(tmp_path_factory):
    """Seeds plus bad files, a malformed feed and a syndicated copy of a seed."""
    root = tmp_path_factory.mktemp("messy")
    bad = root / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "image.txt").write_bytes(PNG)
    (bad / "latin1.txt").write_bytes("Caf\xe9 owners in Montr\xe9al protested.".encode("latin-1"))
    seed = (SEEDS / "000_6d746afb71c21aef.txt").read_text(encoding="utf-8")
    (bad / "syndicated.jsonl").write_text(json.dumps({
        "id": "partner-copy", "url": "https://partner.example/world/iraq-strikes?utm_source=rss",
        "title": "Iraq condemns US strikes", "published": "2023-11-22",
        "text": "Advertisement\n" + seed + "\nShare this article\n© Partner News 2023",
    }) + "\n")
    shutil.copyfile(DATA / "sources" / "illformed_feed.xml", root / "broken.xml")
    sources = root / "sources.yaml"
    sources.write_text(
        "sources:\n"
        f"  - name: seed-articles\n    folder: {SEEDS}\n"
        f"  - name: seed-pages\n    folder: {SEEDS / 'pages'}\n"
        "  - name: bad-files\n    folder: bad\n"
        "  - name: broken-feed\n    feed: broken.xml\n"
    )
    db = root / "newsflow.duckdb"
    summary = nightly_ingest(sources_file=str(sources), db_path=str(db))
    return db, summary


def test_bad_input_is_recorded_and_the_run_goes_on(messy_db):
    db, s = messy_db
    assert s.sources_read == 4
    reasons = dict(rows(db, "SELECT locator, reason FROM ops.failures"))
    assert reasons == {"empty.txt": "empty", "image.txt": "binary", "latin1.txt": "not-utf8",
                       str(db.parent / "broken.xml"): "malformed-feed"}
    assert s.articles_failed == 4
    assert rows(db, "SELECT reason FROM staging.duplicates d JOIN raw.documents r ON r.raw_id = d.article_id "
                    "WHERE r.locator = 'syndicated.jsonl#partner-copy'") in ([("near",)], [("exact",)])
    assert run_checks(db) == {}


def readme_queries():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Analyst queries", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.S)


def test_readme_has_five_analyst_queries():
    assert len(readme_queries()) == 5


@pytest.mark.parametrize("n", range(5))
def test_readme_analyst_query_runs_as_written(messy_db, n):
    db, _ = messy_db
    columns, result = query(db, readme_queries()[n])
    assert columns and result, "each analyst query returns rows on the seeds + a syndicated copy"


def test_live_feed_transient_error_is_retried_and_a_dead_source_is_recorded(tmp_path, monkeypatch):
    from tests.httpserver import LocalServer

    monkeypatch.setenv("NEWSFLOW_RETRY_DELAY_SECONDS", "0.05")
    monkeypatch.setenv("NEWSFLOW_RETRIES", "2")
    monkeypatch.setenv("NEWSFLOW_ALLOW_HOSTS", "127.0.0.1")
    page = (SEEDS / "pages" / "herald-sun-surveillance-laws.html").read_bytes()
    feed = (DATA / "sources" / "bbc_world_2017.xml").read_text(encoding="utf-8")
    with LocalServer() as dead:
        dead_url = dead.base + "/feed.xml"
    with LocalServer() as srv:
        feed = feed.replace("http://www.bbc.co.uk", srv.base)
        srv.route("/feed.xml", (503, {}, b"busy"), (200, {"Content-Type": "application/rss+xml"}, feed.encode()))
        srv.route("/news/world-europe-38691103", (200, {"Content-Type": "text/html"}, page))
        srv.route("/news/world-africa-38686144", (200, {"Content-Type": "text/html"}, page.replace(b"<p>", b"<p>Updated. ", 1)))
        sources = tmp_path / "sources.yaml"
        sources.write_text(f"sources:\n  - name: live\n    feed: {srv.base}/feed.xml\n"
                           f"  - name: dead\n    feed: {dead_url}\n")
        s = nightly_ingest(sources_file=str(sources), db_path=str(tmp_path / "w.duckdb"))
        assert srv.hits["/feed.xml"] == 2  # one 503, one retry
    db = tmp_path / "w.duckdb"
    assert (s.sources_read, s.documents_read) == (2, 2)
    assert s.source_status == {"ok": 1, "failed": 1}
    assert rows(db, "SELECT source, reason FROM ops.failures ORDER BY source, reason") == [
        ("dead", "connection-error"), ("live", "http-404"),
    ]
    assert rows(db, "SELECT source, last_status, consecutive_failures FROM ops.source_state ORDER BY source") == [
        ("dead", "connection-error", 1), ("live", "ok", 0),
    ]
    assert rows(db, "SELECT count(*) FROM staging.articles WHERE source = 'live'") == [(2,)]
    # the second page is the same article; its rel=canonical names another site (heraldsun.com.au,
    # not a syndication source), so it is not trusted, and the copy is caught by its text
    assert rows(db, "SELECT reason FROM staging.duplicates") == [("exact",)]


def test_an_immediate_second_run_makes_only_conditional_feed_requests(tmp_path, monkeypatch):
    from tests.httpserver import LocalServer, conditional

    monkeypatch.setenv("NEWSFLOW_ALLOW_HOSTS", "127.0.0.0/8")
    page = (SEEDS / "pages" / "herald-sun-surveillance-laws.html").read_bytes()
    with LocalServer() as srv:
        feed = (DATA / "sources" / "bbc_world_2017.xml").read_text(encoding="utf-8").replace(
            "http://www.bbc.co.uk", srv.base).encode()

        srv.route_fn("/feed.xml", conditional(feed, "application/rss+xml; charset=utf-8",
                                              last_modified="Fri, 20 Jan 2017 13:32:00 GMT"))
        srv.route("/robots.txt", (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /news/world-middle\n"))
        for i, path in enumerate(["/news/world-europe-38691103", "/news/world-africa-38686144"]):
            srv.route(path, (200, {"Content-Type": "text/html"}, page.replace(b"<p>", f"<p>Story {i}. ".encode(), 1)))
        sources = tmp_path / "sources.yaml"
        sources.write_text(f"sources:\n  - name: live\n    feed: {srv.base}/feed.xml\n")
        db = tmp_path / "w.duckdb"
        first = nightly_ingest(sources_file=str(sources), db_path=str(db))
        first_log = list(srv.log)
        srv.log.clear()
        second = nightly_ingest(sources_file=str(sources), db_path=str(db))
        second_log = list(srv.log)
    assert sorted(p for p, _ in first_log) == [
        "/feed.xml", "/news/world-africa-38686144", "/news/world-europe-38691103", "/robots.txt"]
    assert first.documents_read == 2 and first.source_status == {"ok": 1}
    # the third entry is disallowed by robots.txt: recorded, never requested
    assert rows(db, "SELECT reason FROM ops.failures") == [("robots-disallowed",)]
    assert [(p, h.get("If-Modified-Since")) for p, h in second_log] == [
        ("/feed.xml", "Fri, 20 Jan 2017 13:32:00 GMT")]
    assert second.documents_read == 0 and second.source_status == {"not-modified": 1}
    assert rows(db, "SELECT count(*), max(version) FROM raw.feed_entries") == [(2, 1)]
    assert rows(db, "SELECT last_status, last_modified FROM ops.source_state") == [
        ("not-modified", "Fri, 20 Jan 2017 13:32:00 GMT")]
    assert rows(db, "SELECT count(*) FROM raw.documents WHERE encoding = 'utf-8'") == [(2,)]
    assert run_checks(db) == {}


def test_a_copy_arriving_on_a_later_night_is_a_duplicate_of_the_stored_article(seed_db, tmp_path):
    db, _ = seed_db
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(db, copy)
    original, text = _seed_article(copy, "000_6d746afb71c21aef.txt")
    folder = tmp_path / "tonight"
    folder.mkdir()
    paragraphs = text.split("\n\n")
    (folder / "wire.jsonl").write_text("\n".join(json.dumps(r) for r in [
        {"id": "cut", "url": "https://wire.example/a/1", "text": "\n\n".join(paragraphs[:10])},
        {"id": "same", "url": "https://other.example/b/2", "text": text},
    ]) + "\n")
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - name: wire\n    folder: {folder}\n")
    s = nightly_ingest(sources_file=str(sources), db_path=str(copy))
    assert (s.articles_new, s.articles_duplicate, s.events_extracted) == (0, 2, 0)
    assert rows(copy, "SELECT r.locator, d.duplicate_of, d.reason FROM staging.duplicates d "
                      "JOIN raw.documents r ON r.raw_id = d.article_id ORDER BY r.locator") == [
        ("wire.jsonl#cut", original, "near"), ("wire.jsonl#same", original, "exact"),
    ]
    assert run_checks(copy) == {}
