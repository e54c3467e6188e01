"""Sources: the sources file, folders, JSONL, local feeds, and live feeds from a 127.0.0.1 server."""

import json
from pathlib import Path

import pytest

from tasks.errors import BadDocument, ConfigError, TransientSourceError
from tasks.records import Source
from tasks.settings import Settings
from tasks.sources import (
    LocalClient, SourceResult, SourceState, load_sources, outcome, read_folder, read_source,
    read_source_task, select_new,
)
from tests.conftest import DATA, SEEDS
from tests.httpserver import LocalServer

NOW = "2026-11-23T02:00:00+00:00"
HTML = (SEEDS / "pages" / "herald-sun-surveillance-laws.html").read_bytes()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- sources file

def test_seed_sources_file_lists_folder_and_feed_sources():
    sources = load_sources(SEEDS / "sources.yaml")
    assert [(s.name, s.kind) for s in sources] == [
        ("seed-articles", "folder"), ("seed-pages", "folder"), ("techcrunch-2011", "feed"),
    ]
    assert Path(sources[2].location) == (SEEDS / "feeds" / "techcrunch-2011.xml").resolve()


@pytest.mark.parametrize("text, message", [
    ("sources: [", "not valid YAML"),
    ("other: 1", "no 'sources:' list"),
    ("sources:\n  - folder: x", "needs a 'name'"),
    ("sources:\n  - name: a\n    folder: x\n    feed: y", "exactly one of"),
    ("sources:\n  - name: a\n    urls: [https://a.example/1, ftp://b.example/2]", "not an http.s. URL: ftp://b"),
    ("sources:\n  - name: a\n    urls: missing.txt", "cannot read the URL list"),
    ("sources:\n  - name: a\n    folder: x\n  - name: a\n    folder: y", "repeated: a"),
])
def test_bad_sources_files_give_one_line_errors(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message) as e:
        load_sources(write(tmp_path / "s.yaml", text))
    assert "\n" not in str(e.value)


def test_missing_sources_file(tmp_path):
    with pytest.raises(ConfigError, match="sources file not found"):
        load_sources(tmp_path / "nope.yaml")


# ---------------------------------------------------------------- folders

def test_seed_folder_reads_both_seeds_with_sidecar_dates():
    docs = list(read_folder(Source("seed-articles", "folder", str(SEEDS)), NOW))
    assert {d.locator: d.published for d in docs} == {
        "000_6d746afb71c21aef.txt": "2023-11-22",
        "003_9739e647ac3eb03e.txt": "2024-01-05",
    }
    assert all(d.kind == "text" and d.fetched_at == NOW for d in docs)
    again = list(read_folder(Source("seed-articles", "folder", str(SEEDS)), "2030-01-01T00:00:00+00:00"))
    assert [d.raw_id for d in docs] == [d.raw_id for d in again]  # keys do not depend on the time


def test_folder_with_jsonl_html_and_bad_lines(tmp_path):
    (tmp_path / "page.html").write_bytes(HTML)
    write(tmp_path / "notes.md", "ignored: not an article suffix")
    write(tmp_path / "batch.jsonl", "\n".join([
        json.dumps({"id": "a1", "text": "First article text.", "url": "https://example.com/a1", "published": "2024-01-02",
                    "author": "Jane Doe"}),
        "{not json",
        json.dumps({"id": "a3", "title": "no text"}),
        json.dumps({"html": "<p>An HTML record.</p>"}),
    ]))
    items = list(read_folder(Source("mixed", "folder", str(tmp_path)), NOW))
    docs = [i for i in items if not hasattr(i, "stage")]
    fails = [i for i in items if hasattr(i, "stage")]
    assert sorted(d.locator for d in docs) == ["batch.jsonl#L4", "batch.jsonl#a1", "page.html"]
    a1 = next(d for d in docs if d.locator == "batch.jsonl#a1")
    assert (a1.url, a1.published, a1.body, a1.authors) == (
        "https://example.com/a1", "2024-01-02", b"First article text.", ("Jane Doe",))
    assert next(d for d in docs if d.locator == "batch.jsonl#L4").kind == "html"
    assert sorted((f.locator, f.reason) for f in fails) == [("batch.jsonl#L2", "bad-jsonl"), ("batch.jsonl#L3", "bad-jsonl")]


def test_unreadable_file_is_a_failure_not_a_crash(tmp_path, monkeypatch):
    write(tmp_path / "good.txt", "A readable article.")
    write(tmp_path / "locked.txt", "cannot be read")
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    items = list(read_folder(Source("f", "folder", str(tmp_path)), NOW))
    assert [(getattr(i, "reason", None), i.locator) for i in items] == [(None, "good.txt"), ("unreadable", "locked.txt")]


def test_missing_folder_is_a_failure(tmp_path):
    result = read_source(Source("gone", "folder", str(tmp_path / "gone")), NOW, Settings())
    assert result.documents == () and [f.reason for f in result.failures] == ["not-found"]


# ---------------------------------------------------------------- feeds

def test_local_feed_with_full_content():
    src = Source("tc", "feed", str(SEEDS / "feeds" / "techcrunch-2011.xml"))
    result = read_source(src, NOW, Settings())
    assert len(result.documents) == 20 and result.failures == ()
    first = result.documents[0]
    assert first.kind == "html" and first.title.startswith("Angie") and first.authors == ("Leena Rao",)
    assert first.published == "2011-11-02T17:25:27+00:00"
    assert b"Angie" in first.body


def test_malformed_feed_is_recorded():
    src = Source("broken", "feed", str(DATA / "sources" / "illformed_feed.xml"))
    result = read_source(src, NOW, Settings())
    assert result.documents == ()
    assert [f.reason for f in result.failures] == ["malformed-feed"]


# ---------------------------------------------------------------- outcome / select_new / task

def test_failed_source_becomes_a_failure_record_and_counts_a_failed_night():
    src = Source("bbc", "feed", "https://example.invalid/feed")
    res = outcome(src, TransientSourceError("timed out fetching https://example.invalid/feed", "timeout"),
                  SourceState("bbc", src.location, consecutive_failures=1), NOW)
    assert res.documents == () and res.failures[0].reason == "timeout" and res.status == "failed"
    assert res.state.consecutive_failures == 2 and res.state.last_status == "timeout"


def test_select_new_skips_known_and_repeated_documents():
    docs = list(read_folder(Source("seed-articles", "folder", str(SEEDS)), NOW))
    results = [SourceResult("a", tuple(docs), ()), SourceResult("b", (docs[0],), ())]
    new, fails = select_new(results, known={docs[1].raw_id})
    assert [d.raw_id for d in new] == [docs[0].raw_id] and fails == []


def test_read_source_task_fn_runs_the_pure_function():
    result = read_source_task.fn(Source("seed-articles", "folder", str(SEEDS)), NOW, Settings())
    assert len(result.documents) == 2
