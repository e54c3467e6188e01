"""Run reports: the markdown artifact's content, its publication, per-source status, and the
CLI's progress bars (shown on a terminal, absent when the output is not one)."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys

import pytest

from flows.progress import interactive, progress_bars
from tasks.records import Failure, RunSummary, Source, SourceRun
from tasks.report import failure_groups, publish_report_task, run_report_markdown, summarize, RunTotals, StageTimer
from tasks.sources import SourceResult, raw_document
from tests.conftest import ROOT

NOW = "2026-11-23T02:00:00+00:00"
SOURCES = (SourceRun("seed-articles", "folder", "ok", 2), SourceRun("bbc", "feed", "failed", 0, 1, "http-503"),
           SourceRun("wire | pipe", "feed", "not-modified", 0))
FAILURES = [
    Failure.of("bbc", "https://bbc.example/rss", "source", "http-503", "503 Service Unavailable after 3 tries"),
    Failure.of("seed-articles", "empty.txt", "clean", "empty", "The file is empty."),
    Failure.of("seed-articles", "blank.txt", "clean", "empty", "The file is empty."),
    Failure.of("wire | pipe", "feed.xml", "source", "feed-warning", "a | in the detail\nand a second line"),
]


def summary(**kw) -> RunSummary:
    base = RunSummary("run-7", NOW, "2026-11-23T02:00:12+00:00", "completed", 3, 2, 1, 1, 3, 5, 12.0,
                      {"sources": 3.0, "clean": 6.0, "dedup": 1.5, "events": 1.0, "load": 0.5},
                      {"failed": 1, "not-modified": 1}, SOURCES)
    return RunSummary(**{**base.__dict__, **kw})


def test_the_report_has_counts_sources_failures_by_reason_and_stage_times():
    md = run_report_markdown(summary(), FAILURES)
    assert md.startswith("# newsflow run run-7: completed\n")
    assert "| articles new | 1 |" in md and "| events extracted | 5 |" in md and "| documents failed | 3 |" in md
    # every source with its status, documents and failures (its documents' cleaning included)
    assert "| seed-articles | folder | ok | 2 | 2 |  |" in md
    assert "| bbc | feed | failed | 0 | 1 | http-503 |" in md
    assert "| wire \\| pipe | feed | not-modified | 0 | 0 |  |" in md  # a pipe in a name does not break the table
    # failures grouped by (stage, reason), the most frequent first, with an example; warnings marked
    lines = md.splitlines()
    by_reason = lines[lines.index("## Failures by reason") + 4:]
    assert by_reason[0] == "| clean | empty | 2 | seed-articles: empty.txt: The file is empty. |"
    assert "| source | feed-warning (warning) | 1 | wire \\| pipe: feed.xml: a \\| in the detail and a second line |" in md
    assert "| clean | 6.00 | 50% |" in md and "| total | 12.00 |  |" in md


def test_a_run_without_failures_or_per_source_status_says_so():
    md = run_report_markdown(summary(sources=(), source_status={}, stage_seconds={}), [])
    assert "No failures." in md and "No per-source status was recorded." in md and "No stage times were recorded." in md
    old = run_report_markdown(summary(sources=()), [])  # a summary with only the live sources' counts
    assert "| failed | 1 |" in old and "| not-modified | 1 |" in old


def test_failure_groups_count_each_stage_and_reason():
    assert [(s, r, n) for s, r, n, _ in failure_groups(FAILURES)] == [
        ("clean", "empty", 2), ("source", "feed-warning", 1), ("source", "http-503", 1)]


def test_run_totals_add_up_batches_and_keep_the_per_source_status():
    sources = [Source("a", "folder", "/a"), Source("gone", "folder", "/gone"), Source("b", "feed", "https://b/rss")]
    fail = Failure.of("b", "https://b/rss", "source", "timeout", "timed out")
    warn = Failure.of("a", "x.xml", "source", "feed-warning", "odd")
    missing = Failure.of("gone", "/gone", "source", "not-found", "no such folder: /gone")
    docs = [raw_document("a", f"{i}.txt", "text", f"t{i}".encode(), NOW) for i in range(3)]
    totals = RunTotals()
    totals.add(docs[:2], [], [], [], [fail, warn, missing])  # the live sources' failures come with the first batch
    totals.add(docs[2:], [], [], [], [])
    live = {"b": SourceResult("b", (), (fail,), "failed")}
    s = totals.summary("r", NOW, NOW, sources, live, StageTimer(), {"failed": 1})
    assert s.sources == (SourceRun("a", "folder", "ok", 3, 0, None),
                         SourceRun("gone", "folder", "failed", 0, 1, "not-found"),
                         SourceRun("b", "feed", "failed", 0, 1, "timeout"))
    assert (s.documents_read, s.articles_failed, s.sources_read) == (3, 2, 3)
    assert summarize("r", NOW, NOW, 2, 0, [], [], [], [], StageTimer()).sources == ()  # the old call still works


def test_publish_report_task_leaves_a_markdown_artifact(monkeypatch):
    import tasks.report

    made = []
    monkeypatch.setattr(tasks.report, "create_markdown_artifact", lambda **kw: made.append(kw))
    md = publish_report_task.fn(summary(), FAILURES)
    assert made == [{"markdown": md, "key": "nightly-ingest-report", "description": "newsflow run run-7"}]


@pytest.mark.usefixtures("prefect_harness")
def test_the_artifact_reaches_prefect():
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    @flow
    def a_run():
        publish_report_task(summary(), FAILURES)

    a_run()

    async def read():
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["nightly-ingest-report"])))

    import asyncio

    artifacts = asyncio.run(read())
    assert artifacts and artifacts[0].type == "markdown"
    assert "## Failures by reason" in artifacts[0].data


# --------------------------------------------------------------------------- progress bars


def test_progress_is_off_when_the_output_is_not_a_terminal():
    assert not interactive(io.StringIO(), io.StringIO())
    err = io.StringIO()
    with progress_bars(io.StringIO(), err=err) as bars:
        tick = bars.stage("work", 10)
        tick(5)
        assert not bars.shown
    assert err.getvalue() == ""


def test_progress_draws_a_bar_when_asked_to():
    err = io.StringIO()
    with progress_bars(enabled=True, err=err) as bars:
        tick = bars.stage("reprocess clean", 4)
        for done in range(1, 5):
            tick(done)
        assert bars.shown
    assert "reprocess clean" in err.getvalue() and "4/4" in err.getvalue()


def _run_cli(argv: list[str], *, terminal: bool, timeout: int = 120) -> tuple[int, str, str]:
    """Run a command in a pipe, or on a terminal (stdout and stderr both a pty: one screen, no stderr)."""
    env = dict(os.environ, TERM="xterm")
    if not terminal:
        r = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)
        return r.returncode, r.stdout, r.stderr
    master, slave = pty.openpty()  # stdout and stderr both a terminal
    p = subprocess.Popen(argv, stdout=slave, stderr=slave, cwd=ROOT, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return p.wait(timeout=timeout), b"".join(chunks).decode("utf-8", "replace"), ""


def _reprocess_cli(db, *, terminal: bool) -> tuple[int, str, str]:
    argv = [sys.executable, "-m", "flows.cli", "reprocess", "--events", "--db", str(db), "--page-size", "1"]
    return _run_cli(argv, terminal=terminal)


def test_the_reprocess_command_shows_bars_on_a_terminal_and_none_in_a_pipe(tmp_path):
    from tests.test_event_views import build

    db = build(tmp_path)[0]
    code, out, err = _reprocess_cli(db, terminal=False)
    assert code == 0 and err == ""
    assert out.startswith("reprocess events: 3 articles") and "\x1b" not in out
    code, screen, _ = _reprocess_cli(db, terminal=True)
    assert code == 0
    assert "reprocess events (unique articles)" in screen and "━" in screen and "/3" in screen
    assert "reprocess events: 3 articles" in screen


def _ingest_cli(tmp_path, *, terminal: bool) -> tuple[int, str]:
    """`newsflow ingest` on two text files, in a pipe or on a terminal; (exit code, all it printed)."""
    folder = tmp_path / "docs"
    folder.mkdir(exist_ok=True)
    (folder / "a.txt").write_text("Protesters marched in Paris on Monday against the new pension law.\n")
    (folder / "b.txt").write_text("The government of Chile announced new sanctions against the company.\n")
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - name: docs\n    folder: {folder}\n")
    db = tmp_path / ("tty.duckdb" if terminal else "pipe.duckdb")
    argv = [sys.executable, "-m", "flows.cli", "ingest", "--sources", str(sources), "--db", str(db)]
    code, out, err = _run_cli(argv, terminal=terminal, timeout=300)
    return code, out + err


def test_the_ingest_command_counts_documents_loaded_on_a_terminal_and_not_in_a_pipe(tmp_path):
    code, piped = _ingest_cli(tmp_path, terminal=False)
    assert code == 0 and "documents read" in piped
    assert "documents loaded" not in piped
    code, screen = _ingest_cli(tmp_path, terminal=True)
    assert code == 0 and "documents read" in screen
    assert "documents loaded" in screen and "━" in screen
