"""Live sources end to end in tasks/sources.py: conditional GET, entries already seen, new versions of
changed entries, URL lists, per-source state and back-off, the SSRF guard in `failures`, and
adding feeds to a sources file. Every server is started by the test on 127.0.0.1."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tasks.dedup import canonical_url
from tasks.errors import ConfigError, TransientSourceError
from tasks.fetch import Fetcher, FetchPolicy
from tasks.records import Source
from tasks.settings import Settings
from tasks.sources import (
    SeenEntry, SourceState, append_feeds, failed, is_backed_off, load_sources, outcome, read_source,
    retry_delays, source_status,
)
from tests.conftest import DATA, SEEDS
from tests.httpserver import LocalServer, conditional

NOW = "2026-11-23T02:00:00+00:00"
LATER = "2026-11-24T02:00:00+00:00"
PAGE = (SEEDS / "pages" / "herald-sun-surveillance-laws.html").read_bytes()
LOCAL = Settings(allow_hosts="127.0.0.1", retries=1, retry_delay_seconds=0.01, read_timeout=2.0)
BBC_PAGES = ["/news/world-europe-38691103", "/news/world-africa-38686144", "/news/world-middle-east-38689131"]


def bbc_feed(base: str) -> bytes:
    """A real BBC World feed (3 summary-only entries) whose links point at the local server."""
    return (DATA / "sources" / "bbc_world_2017.xml").read_text(encoding="utf-8").replace(
        "http://www.bbc.co.uk", base).encode()


def atom_feed(base: str, updated: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:feed</id><updated>{updated}</updated>
<entry><id>urn:story:1</id><title>Story one</title><link href="{base}/story/1"/>
<published>2026-11-22T10:00:00Z</published><updated>{updated}</updated><summary>Short.</summary></entry>
</feed>""".encode()


class Seen:
    """An in-memory SeenLookup, filled from what earlier reads stored (as raw.feed_entries would be)."""

    def __init__(self) -> None:
        self.rows: list = []

    def store(self, result) -> None:
        self.rows.extend(result.entries)

    def __call__(self, source, keys):
        out: dict[str, SeenEntry] = {}
        for key, link_key in keys:
            hits = [r for r in self.rows if (r.source == source and r.entry_key == key) or
                    (link_key and r.link_key == link_key)]
            if hits:
                out[key] = SeenEntry(key, max(h.version for h in hits), max((h.updated or "") for h in hits) or None)
        return out


def page_hits(srv: LocalServer) -> int:
    return sum(n for path, n in srv.hits.items() if path.startswith("/news/") or path.startswith("/story/"))


# ---------------------------------------------------------------- conditional GET and seen entries

def test_an_unchanged_feed_costs_one_conditional_request_and_no_page():
    with LocalServer() as srv:
        feed = bbc_feed(srv.base)

        srv.route_fn("/feed.xml", conditional(feed, "application/rss+xml", '"v1"', "Fri, 20 Jan 2017 13:32:00 GMT"))
        for p in BBC_PAGES:
            srv.route(p, (200, {"Content-Type": "text/html"}, PAGE.replace(b"<p>", f"<p>{p} ".encode(), 1)))
        src = Source("bbc", "feed", srv.base + "/feed.xml")
        first = read_source(src, NOW, LOCAL)
        assert first.status == "ok" and len(first.documents) == 3 and first.failures == ()
        assert (first.state.etag, first.state.last_modified) == ('"v1"', "Fri, 20 Jan 2017 13:32:00 GMT")
        assert {d.version for d in first.documents} == {1} and all(d.encoding for d in first.documents)
        pages_before = page_hits(srv)
        second = read_source(src, LATER, LOCAL, state=first.state)
        feed_requests = [r for r in srv.log if r[0] == "/feed.xml"]
    assert second.status == "not-modified" and second.documents == () and second.failures == ()
    assert second.state.etag == '"v1"' and second.state.consecutive_failures == 0
    assert page_hits(srv) == pages_before == 3
    assert len(feed_requests) == 2 and feed_requests[1][1].get("If-None-Match") == '"v1"'
    assert feed_requests[1][1].get("If-Modified-Since") == "Fri, 20 Jan 2017 13:32:00 GMT"


def test_entries_already_stored_are_not_fetched_again_even_from_another_feed():
    seen = Seen()
    with LocalServer() as srv:
        srv.route("/feed.xml", (200, {"Content-Type": "application/rss+xml"}, bbc_feed(srv.base)))
        for p in BBC_PAGES:
            srv.route(p, (200, {"Content-Type": "text/html"}, PAGE))
        first = read_source(Source("bbc", "feed", srv.base + "/feed.xml"), NOW, LOCAL, seen=seen)
        seen.store(first)
        # the server ignores validators: the feed comes back whole, but no page is fetched twice
        again = read_source(Source("bbc", "feed", srv.base + "/feed.xml"), LATER, LOCAL, seen=seen)
        # another feed linking the same article (with a tracking parameter) is not fetched either
        other = (b'<rss version="2.0"><channel><title>x</title><item><title>Avalanche</title>'
                 b'<link>' + srv.base.encode() + BBC_PAGES[0].encode() + b'?utm_source=rss</link></item></channel></rss>')
        srv.route("/other.xml", (200, {"Content-Type": "application/rss+xml"}, other))
        third = read_source(Source("other", "feed", srv.base + "/other.xml"), LATER, LOCAL, seen=seen)
    assert len(first.documents) == 3 and len(first.entries) == 3
    assert again.documents == () and again.skipped_seen == 3
    assert third.documents == () and third.skipped_seen == 1
    assert all(srv.hits[p] == 1 for p in BBC_PAGES)


def test_a_changed_entry_is_fetched_again_as_a_new_version():
    seen = Seen()
    with LocalServer() as srv:
        srv.route("/story/1", (200, {"Content-Type": "text/html"}, PAGE),
                  (200, {"Content-Type": "text/html"}, PAGE.replace(b"<p>", b"<p>Updated: ", 1)))
        srv.route("/atom.xml", (200, {"Content-Type": "application/atom+xml"}, atom_feed(srv.base, "2026-11-22T10:00:00Z")))
        src = Source("wire", "feed", srv.base + "/atom.xml")
        v1 = read_source(src, NOW, LOCAL, seen=seen)
        seen.store(v1)
        same = read_source(src, NOW, LOCAL, seen=seen)
        srv.route("/atom.xml", (200, {"Content-Type": "application/atom+xml"}, atom_feed(srv.base, "2026-11-22T15:30:00Z")))
        v2 = read_source(src, LATER, LOCAL, seen=seen)
    assert [d.version for d in v1.documents] == [1] and same.documents == ()
    (doc,) = v2.documents
    assert doc.version == 2 and doc.entry_key == v1.documents[0].entry_key == "urn:story:1"
    assert doc.entry_updated == "2026-11-22T15:30:00+00:00" and b"Updated: " in doc.body
    assert doc.raw_id != v1.documents[0].raw_id and doc.locator == v1.documents[0].locator
    assert srv.hits["/story/1"] == 2


def test_a_page_that_failed_for_now_keeps_the_feed_from_being_skipped_next_night():
    with LocalServer() as srv:
        srv.route("/feed.xml", (200, {"Content-Type": "application/rss+xml", "ETag": '"v1"'}, bbc_feed(srv.base)))
        srv.route(BBC_PAGES[0], (200, {"Content-Type": "text/html"}, PAGE))
        srv.route(BBC_PAGES[1], (503, {}, b"busy"))  # still failing after the fetcher's retries
        result = read_source(Source("bbc", "feed", srv.base + "/feed.xml"), NOW, LOCAL)
    assert sorted(f.reason for f in result.failures) == ["http-404", "http-503"]
    assert result.status == "ok" and result.state.etag is None  # no 304 next night: the page is retried


# ---------------------------------------------------------------- URL lists

def test_a_url_list_source_from_a_file_and_from_yaml(tmp_path):
    with LocalServer() as srv:
        srv.route("/a", (200, {"Content-Type": "text/html; charset=utf-8"}, PAGE))
        srv.route("/b", (404, {}, b"gone"))
        (tmp_path / "urls.txt").write_text(f"# tonight's list\n{srv.base}/a\n\n{srv.base}/b\n{srv.base}/a\n")
        (tmp_path / "sources.yaml").write_text(
            f"sources:\n  - name: listed\n    urls: urls.txt\n  - name: inline\n    urls: [{srv.base}/a]\n")
        listed, inline = load_sources(tmp_path / "sources.yaml")
        assert listed.kind == "urls" and listed.urls == (f"{srv.base}/a", f"{srv.base}/b")
        result = read_source(listed, NOW, LOCAL)
        assert inline.urls == (f"{srv.base}/a",)
    assert [d.locator for d in result.documents] == [f"{srv.base}/a"]
    assert [(f.locator, f.reason) for f in result.failures] == [(f"{srv.base}/b", "http-404")]
    # a listed URL is known by its canonical link (scheme, host case, tracking parameters folded)
    assert result.documents[0].entry_key == canonical_url(f"{srv.base}/a") and result.state.last_status == "ok"


# ---------------------------------------------------------------- SSRF, failures and back-off

def test_by_default_a_local_address_is_refused_and_recorded():
    with LocalServer() as srv:
        srv.route("/feed.xml", (200, {"Content-Type": "application/rss+xml"}, bbc_feed(srv.base)))
        result = read_source(Source("bbc", "feed", srv.base + "/feed.xml"), NOW, Settings())
    assert srv.hits == {}  # not one request reached the server
    (failure,) = result.failures
    assert failure.reason == "blocked-address" and "127.0.0.1" in failure.detail and "NEWSFLOW_ALLOW_HOSTS" in failure.detail
    assert result.status == "failed" and result.state.consecutive_failures == 1


def test_a_feed_that_keeps_failing_is_backed_off_and_then_tried_again():
    state = SourceState("dead", "http://127.0.0.1:9/feed.xml")
    for night in ("2026-11-20", "2026-11-21"):
        state = failed(state, f"{night}T02:00:00+00:00", "timeout", "timed out", max_failures=3)
        assert state.next_fetch_after is None
    state = failed(state, "2026-11-22T02:00:00+00:00", "timeout", "timed out", max_failures=3)
    assert state.consecutive_failures == 3 and state.next_fetch_after.startswith("2026-11-23T01:00")
    assert is_backed_off(state, "2026-11-22T23:00:00+00:00") and not is_backed_off(state, NOW)
    fourth = failed(state, NOW, "timeout", "timed out", max_failures=3)
    assert fourth.next_fetch_after.startswith("2026-11-25T01:00")  # 2 days, then 4, ... at most 7
    with LocalServer() as srv:
        srv.route("/feed.xml", (200, {}, bbc_feed(srv.base)))
        skipped = read_source(Source("dead", "feed", srv.base + "/feed.xml"), "2026-11-24T02:00:00+00:00", LOCAL,
                              state=fourth)
    assert skipped.status == "backed-off" and skipped.failures == () and srv.hits == {}
    assert source_status([skipped]) == {"backed-off": 1}


def test_a_transient_feed_error_propagates_for_prefect_then_counts_as_a_failed_night():
    with LocalServer() as srv:
        srv.route("/feed.xml", (503, {}, b"busy"))
        src = Source("busy", "feed", srv.base + "/feed.xml")
        with pytest.raises(TransientSourceError) as e:
            read_source(src, NOW, LOCAL)
    assert e.value.reason == "http-503" and srv.hits["/feed.xml"] == 2  # the fetcher's own retry
    result = outcome(src, e.value, SourceState("busy", src.location), NOW)
    assert result.status == "failed" and result.failures[0].reason == "http-503"
    assert retry_delays(LOCAL) == [0.04] and retry_delays(Settings(retries=0)) == []


def test_one_fetcher_is_shared_by_the_sources_of_a_run():
    with LocalServer() as srv:
        srv.route("/a", (200, {"Content-Type": "text/html"}, PAGE))
        srv.route("/robots.txt", (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private\n"))
        with Fetcher(FetchPolicy.from_settings(LOCAL)) as fetcher:
            for name in ("one", "two"):
                read_source(Source(name, "urls", "x", (f"{srv.base}/a?n={name}",)), NOW, LOCAL, fetcher=fetcher)
            user_agents = {r[1].get("User-Agent") for r in srv.log}
    assert srv.hits["/robots.txt"] == 1  # robots.txt asked once per host per run
    assert user_agents == {LOCAL.user_agent} and re.match(r"newsflow/\S+ \(\+https?://", LOCAL.user_agent)


# ---------------------------------------------------------------- adding feeds to the sources file

def test_append_feeds_keeps_comments_skips_listed_feeds_and_makes_names_unique(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text("# my sources\nsources:\n  - name: bbc-world  # keep this comment\n"
                    "    feed: https://feeds.bbci.co.uk/news/world/rss.xml\n")
    added, skipped = append_feeds(path, [
        ("BBC World", "https://feeds.bbci.co.uk/news/world/rss.xml"),
        ("BBC World!", "https://feeds.bbci.co.uk/news/world/europe/rss.xml"),
        ("BBC World!", "https://feeds.bbci.co.uk/news/world/africa/rss.xml"),
        (None, "https://www.example.org/feed.atom"),
        ("bad", "javascript:alert(1)"),
    ])
    text = path.read_text()
    assert "# keep this comment" in text and text.startswith("# my sources")
    assert [s.name for s in added] == ["bbc-world-2", "bbc-world-3", "example-org-feed-atom"]
    assert skipped == ["https://feeds.bbci.co.uk/news/world/rss.xml", "javascript:alert(1)"]
    assert [s.name for s in load_sources(path)] == ["bbc-world", "bbc-world-2", "bbc-world-3", "example-org-feed-atom"]


def test_a_sources_file_that_cannot_be_read_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError):
        append_feeds(tmp_path / "nope" / "sources.yaml", [("x", "https://x.example/feed")])


def test_a_stray_byte_deep_in_a_utf8_page_costs_one_character_not_the_page():
    from tasks.clean import clean_document

    para = "<p>Ministers in Zürich said the talks would resume on Tuesday, officials confirmed.</p>\n"
    body = ("<html><head><title>Talks</title></head><body><article>" + para * 900).encode("utf-8")
    body += b"<p>A stray \x96 dash from a legacy system.</p></article></body></html>"
    assert len(body) > 70_000
    with LocalServer() as srv:
        url = srv.route("/talks", (200, {"Content-Type": "text/html; charset=utf-8"}, body))
        (doc,) = read_source(Source("s", "urls", "x", (url,)), NOW, LOCAL).documents
    assert doc.encoding == "utf-8"
    article = clean_document(doc)
    assert "Zürich" in article.text and "A stray \ufffd dash" in article.text
