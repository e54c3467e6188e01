"""Small real records for warehouse tests (hand-built, each field meaningful)."""

from pathlib import Path

import duckdb

from tasks.load import Batch
from tasks.records import Article, DedupDecision, Event, Failure, Fingerprint, RunSummary
from tasks.sources import raw_document

NOW = "2026-11-23T02:00:00+00:00"
TEXT_A = "US forces carried out a drone strike in central Baghdad on Thursday.\n\nIraq condemned it."
TEXT_B = "Iraq's parliament condemned the US airstrikes on Wednesday."


def make_batch(run_id: str = "run-1") -> tuple[Batch, RunSummary]:
    doc_a = raw_document("seed", "a.txt", "text", TEXT_A.encode(), NOW, published="2024-01-05")
    doc_b = raw_document("seed", "b.txt", "text", TEXT_B.encode(), NOW, url="https://ex.com/b")
    doc_c = raw_document("mirror", "c.txt", "text", TEXT_A.encode(), NOW)
    arts = tuple(
        Article(d.raw_id, d.raw_id, d.source, d.url, None, None, (), d.published, "source", "en", None, t)
        for d, t in ((doc_a, TEXT_A), (doc_b, TEXT_B), (doc_c, TEXT_A))
    )
    decisions = (
        DedupDecision(arts[0].article_id, None, None),
        DedupDecision(arts[1].article_id, None, None),
        DedupDecision(arts[2].article_id, arts[0].article_id, "exact", 1.0),
    )
    fps = tuple(Fingerprint(a.article_id, a.url, f"hash-{i % 2}", (i % 2, 100 + i), bytes([i]) * 8, 10 + i)
                for i, a in enumerate(arts))
    sentence = TEXT_A.split("\n\n")[0]
    event = Event(
        "ev1", arts[0].article_id, 0, sentence, 0, len(sentence), "ASSAULT", "drone", "drone strike",
        "US forces", "United States", "USA", "MIL", None, None, None, None, "2024-01-04", "day",
        "Baghdad", "IRQ", None, None, False, 0.9, "test",
    )
    failure = Failure.of("seed", "empty.txt", "clean", "empty", "the file is empty")
    batch = Batch(run_id, (doc_a, doc_b, doc_c, doc_a), arts, decisions, fps, (event, event), (failure,))
    summary = RunSummary(run_id, NOW, NOW, "completed", 1, 3, 2, 1, 1, 1, 0.5, {"clean": 0.1})
    return batch, summary


# columns that name the run or its time: two runs of the same input differ only there
VOLATILE = {"run_id", "fetched_at", "first_seen_at", "last_fetch_at", "next_fetch_after"}


def warehouse_contents(db: Path) -> dict[str, list[tuple]]:
    """Every raw/staging/marts table's rows (sorted), without the columns that differ by run."""
    out = {}
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN ('raw', 'staging', 'marts') AND table_type = 'BASE TABLE' ORDER BY 1"
        ).fetchall()
        for (table,) in tables:
            schema, name = table.split(".")
            cols = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
                "ORDER BY ordinal_position", [schema, name]).fetchall() if c not in VOLATILE]
            rows = con.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()  # names from the catalog
            out[table] = sorted(rows, key=repr)
    return out
