"""The newsflow command on real files: --help, stage commands, sql, and one-line errors."""

import io
import re
from pathlib import Path
import json
import subprocess
import sys

import pytest

from flows.cli import build_parser, main
from tests.conftest import ROOT, SEEDS

SEED0 = str(SEEDS / "000_6d746afb71c21aef.txt")
SEED3 = str(SEEDS / "003_9739e647ac3eb03e.txt")
PAGE = str(SEEDS / "pages" / "bbc-obama-gun-laws.html")


def run(*argv):
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def cli(*argv, env=None):
    """The installed entry point in a subprocess (for exit codes and stderr)."""
    return subprocess.run([sys.executable, "-m", "flows.cli", *argv], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


@pytest.mark.parametrize("command", ["ingest", "clean", "events", "dedup", "sql"])
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as e:
        build_parser().parse_args([command, "--help"])
    assert e.value.code == 0
    assert len(capsys.readouterr().out) > 200


def test_clean_prints_one_line_per_input_in_order(tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_text("")
    code, out = run("clean", SEED3, str(bad), PAGE)
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and [x["path"] for x in lines] == [SEED3, str(bad), PAGE]
    assert lines[0]["published"] == "2024-01-05" and "CLICK HERE" not in lines[0]["text"]
    assert lines[1]["error"].startswith("empty:")
    assert lines[2]["title"].startswith("Obama admits US gun laws")
    assert set(lines[2]) >= {"url", "title", "authors", "published", "language", "text"}


def test_clean_text_format():
    code, out = run("clean", "--format", "text", SEED0)
    assert code == 0 and out.startswith("Senior Iraqi officials on Wednesday condemned")


def test_events_on_files_and_jsonl(tmp_path):
    code, out = run("events", SEED0)
    doc = json.loads(out)
    assert doc["id"] == SEED0
    types = {e["event_type"] for e in doc["events"]}
    assert {"ACCUSE", "ASSAULT"} <= types
    assert {"mention_id", "sentence", "sentence_start", "actor_country", "dead", "extractor_version"} <= set(doc["events"][0])
    jl = tmp_path / "docs.jsonl"
    jl.write_text(json.dumps({"id": "x1", "text": "Iraq's parliament also condemned the US airstrikes.",
                              "published": "2023-11-22"}) + "\n" + json.dumps({"id": "x2", "text": "Nothing happened."}) + "\n")
    code, out = run("events", "--jsonl", str(jl))
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["id"] for x in lines] == ["x1", "x2"] and lines[1]["events"] == []
    accuse = [e for e in lines[0]["events"] if e["event_type"] == "ACCUSE"]
    assert accuse and accuse[0]["actor_country"] == "IRQ" and accuse[0]["recipient_country"] == "USA"


def test_dedup_jsonl(tmp_path):
    text = (SEEDS / "000_6d746afb71c21aef.txt").read_text(encoding="utf-8")
    recs = [
        {"id": "a", "url": "https://news.example/iraq?utm_source=x", "text": text},
        {"id": "b", "url": "https://www.news.example/iraq/", "text": "Different text entirely, about the weather today."},
        {"id": "c", "text": text.upper()},
        {"id": "d", "text": "\n".join(text.splitlines()[:9])},
        {"id": "e", "text": "An unrelated story about football results and the league table this weekend."},
    ]
    jl = tmp_path / "d.jsonl"
    jl.write_text("\n".join(json.dumps(r) for r in recs))
    code, out = run("dedup", "--jsonl", str(jl))
    got = {x["id"]: (x["duplicate_of"], x["reason"]) for x in map(json.loads, out.splitlines())}
    assert got == {"a": (None, None), "b": ("a", "version"), "c": ("a", "exact"), "d": ("a", "near"), "e": (None, None)}


def test_bad_jsonl_line_is_a_one_line_error(tmp_path):
    jl = tmp_path / "d.jsonl"
    jl.write_text('{"id": "a", "text": "ok"}\n{oops\n')
    r = cli("dedup", "--jsonl", str(jl))
    assert r.returncode == 2 and r.stderr.strip() == f"newsflow dedup: error: {jl}:2: not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"


def test_missing_sources_file_is_one_line_and_nonzero(tmp_path):
    r = cli("ingest", "--sources", str(tmp_path / "nope.yaml"), "--db", str(tmp_path / "w.duckdb"))
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [f"newsflow ingest: error: sources file not found: {tmp_path / 'nope.yaml'}"]
    assert "Traceback" not in r.stderr


def test_unwritable_db_path_is_one_line_and_nonzero(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = cli("ingest", "--db", str(blocker / "w.duckdb"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "cannot create the folder for the database" in r.stderr and "Traceback" not in r.stderr


def test_sql_formats_and_errors(tmp_path):
    from tasks.load import load_batch
    from tests.factories import make_batch

    db = tmp_path / "w.duckdb"
    load_batch(db, *make_batch())
    q = "SELECT event_type, place_name FROM marts.events"
    assert run("sql", q, "--db", str(db))[1].splitlines()[0].split() == ["event_type", "place_name"]
    assert run("sql", q, "--db", str(db), "--format", "csv")[1].splitlines() == ["event_type,place_name", "ASSAULT,Baghdad"]
    assert json.loads(run("sql", q, "--db", str(db), "--format", "json")[1]) == {"event_type": "ASSAULT", "place_name": "Baghdad"}
    r = cli("sql", "DROP TABLE staging.event_mentions", "--db", str(db))
    assert r.returncode == 2 and "read-only" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.usefixtures("prefect_harness")
def test_ingest_command_runs_the_flow_and_prints_what_landed(tmp_path):
    sources = tmp_path / "s.yaml"
    sources.write_text(f"sources:\n  - name: seed-articles\n    folder: {SEEDS}\n")
    code, out = run("ingest", "--sources", str(sources), "--db", str(tmp_path / "w.duckdb"))
    assert code == 0
    assert "articles new        2" in out and "documents read      2" in out
    assert "marts.events (real-world)" in out and "(8 rows)" in out


def test_readme_commands_exist_and_the_console_script_is_installed():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    mentioned = set(re.findall(r"(?:`|bin/)newsflow ([a-z]+)", readme))  # `newsflow X`, .venv/bin/newsflow X
    subcommands = set(build_parser()._subparsers._group_actions[0].choices)
    assert mentioned == subcommands  # every command documented, no documented command missing
    exe = Path(sys.executable).with_name("newsflow")
    r = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and all(c in r.stdout for c in subcommands)


def test_events_on_a_file_that_cannot_be_cleaned_keeps_its_line(tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_text("")
    code, out = run("events", str(bad), SEED3)
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["id"] for x in lines] == [str(bad), SEED3]
    assert lines[0]["events"] == [] and lines[0]["error"].startswith("empty:")
    assert "error" not in lines[1] and any(e["event_date"] == "2024-01-04" for e in lines[1]["events"])


# ---------------------------------------------------------------- live sources: feed, sources

FEEDS = ROOT / "tests" / "data" / "feeds"


@pytest.mark.parametrize("argv", [["feed"], ["sources"], ["sources", "import"], ["sources", "discover"],
                                  ["sources", "status"]])
def test_live_source_commands_have_help(argv, capsys):
    with pytest.raises(SystemExit) as e:
        build_parser().parse_args([*argv, "--help"])
    assert e.value.code == 0 and len(capsys.readouterr().out) > 200


def test_feed_prints_normalized_entries_of_a_file():
    code, out = run("feed", str(FEEDS / "manton.rss"))
    entries = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(entries) == 10
    assert set(entries[0]) >= {"title", "link", "published", "guid", "author", "full_content"}
    assert all(e["published"].endswith("+00:00") for e in entries)
    assert all(e["link"].startswith("http") for e in entries)


def test_feed_over_http_with_a_local_server(monkeypatch):
    from tests.httpserver import LocalServer

    monkeypatch.setenv("NEWSFLOW_ALLOW_HOSTS", "127.0.0.1")
    with LocalServer() as srv:
        url = srv.route("/atom", (200, {"Content-Type": "application/atom+xml"}, (FEEDS / "tpm.atom").read_bytes()))
        code, out = run("feed", url)
        srv.route("/page", (200, {"Content-Type": "text/html"},
                            (FEEDS / "DaringFireball-head.html").read_bytes()))
        not_a_feed = cli("feed", srv.base + "/page", env={**_env(), "NEWSFLOW_ALLOW_HOSTS": "127.0.0.1"})
    entries = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and entries and all(e["link"].startswith("http") for e in entries)
    assert not_a_feed.returncode == 2
    assert "an HTML page, not a feed" in not_a_feed.stderr and "/feeds/main" in not_a_feed.stderr
    assert len(not_a_feed.stderr.strip().splitlines()) == 1


def test_feed_refuses_a_local_address_by_default():
    from tests.httpserver import LocalServer

    with LocalServer() as srv:
        url = srv.route("/atom", (200, {}, b"<feed/>"))
        r = cli("feed", url, env=_env())
    assert r.returncode == 2 and "127.0.0.1" in r.stderr and "NEWSFLOW_ALLOW_HOSTS" in r.stderr
    assert srv.hits == {}


def test_sources_import_adds_the_feeds_of_an_opml_file(tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text("# ours\nsources:\n  - name: df\n    feed: http://daringfireball.net/feeds/main\n")
    code, out = run("sources", "import", str(FEEDS / "Subs.opml"), "--sources", str(sources))
    again, out2 = run("sources", "import", str(FEEDS / "Subs.opml"), "--sources", str(sources))
    from tasks.sources import load_sources

    listed = load_sources(sources)
    assert code == again == 0 and out.startswith("added 206 feeds to") and "skipped 1 already listed" in out
    assert out2.startswith("added 0 feeds") and "skipped 207" in out2
    assert len(listed) == 207 and sources.read_text().startswith("# ours")
    assert len({s.name for s in listed}) == 207 and all(s.kind == "feed" for s in listed)


def test_sources_discover_lists_and_adds_a_pages_feeds(tmp_path, monkeypatch):
    from tests.httpserver import LocalServer

    monkeypatch.setenv("NEWSFLOW_ALLOW_HOSTS", "127.0.0.1")
    sources = tmp_path / "sources.yaml"
    with LocalServer() as srv:
        home = srv.route("/", (200, {"Content-Type": "text/html; charset=utf-8"},
                               (FEEDS / "DaringFireball-head.html").read_bytes()))
        code, out = run("sources", "discover", home, "--add", "--sources", str(sources))
        srv.route("/bare", (200, {"Content-Type": "text/html"}, b"<html><head><title>x</title></head></html>"))
        none = cli("sources", "discover", srv.base + "/bare", env={**_env(), "NEWSFLOW_ALLOW_HOSTS": "127.0.0.1"})
    first = out.splitlines()[0].split("\t")
    assert code == 0 and first[:2] == [srv.base + "/feeds/main", "application/atom+xml"]
    assert "added 1 feed to" in out and str(srv.base + "/feeds/main") in sources.read_text()
    assert none.returncode == 1 and "no feeds declared" in none.stderr


def test_sources_status_shows_each_live_source(tmp_path):
    import duckdb

    from tasks.load import Batch, load_batch
    from tasks.records import RunSummary
    from tasks.sources import SourceState

    db = tmp_path / "w.duckdb"
    state = SourceState("wire", "https://wire.example/feed", etag='"x"', last_fetch_at="2026-11-23T02:00:00+00:00",
                        last_status="timeout", last_error="timed out", consecutive_failures=3,
                        next_fetch_after="2026-11-24T01:00:00+00:00")
    summary = RunSummary("r1", "2026-11-23T02:00:00+00:00", "2026-11-23T02:01:00+00:00", "completed",
                         1, 0, 0, 0, 0, 0, 60.0)
    load_batch(db, Batch("r1", source_states=(state,)), summary)
    code, out = run("sources", "status", "--db", str(db))
    assert code == 0 and "wire" in out and "timeout" in out and "2026-11-24" in out and "(1 row)" in out
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT consecutive_failures FROM ops.source_state").fetchall() == [(3,)]


def _env():
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}


def test_dedup_explain_files_and_warehouse_ids(tmp_path, monkeypatch, capsys):
    text = (SEEDS / "000_6d746afb71c21aef.txt").read_text(encoding="utf-8")
    a, b, c = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    a.write_text(text, encoding="utf-8")
    b.write_text("\n".join(text.splitlines()[:9]), encoding="utf-8")  # the first lines only
    c.write_text("An unrelated story about football results and the league table this weekend.", encoding="utf-8")
    code, out = run("dedup", "--explain", str(a), str(b))
    assert code == 0 and "DUPLICATE (near" in out.splitlines()[0] and "containment" in out
    code, out = run("dedup", "--explain", str(a), str(c), "--format", "json")
    got = json.loads(out)
    assert code == 1 and got["duplicate"] is False and got["reason"] is None and got["shared_bands"] == 0

    # Article ids in the warehouse.
    from tasks.load import load_batch
    from tests.factories import make_batch

    db = tmp_path / "w.duckdb"
    batch, summary = make_batch()
    load_batch(db, batch, summary)
    monkeypatch.setenv("NEWSFLOW_DB_PATH", str(db))
    first, _, mirror = (x.article_id for x in batch.articles)
    code, out = run("dedup", "--explain", first, mirror)
    assert code == 0 and f"{mirror} vs {first}: DUPLICATE (exact" in out
    code, out = run("dedup", "--explain", first, "no-such-id")
    err = capsys.readouterr().err
    assert code == 2 and "no-such-id: no such file, and no article with that id in" in err
