"""Processes for tests/test_faults.py, run with ``sys.executable tests/fault_helper.py MODE ...``.

- ``load DB MARKER N``: the nightly load (``load_spooled``) of ``big_batch(N)``, with the chunked
  INSERTs patched (here, not in production code) to write MARKER after the first chunk has been
  executed inside the transaction and then to hang, so the test can SIGKILL it mid-load.
- ``hold DB SECONDS``: open the warehouse read-only (holding DuckDB's file lock), print "held",
  and keep it open for SECONDS, or until stdin closes when SECONDS is 0.
"""

from __future__ import annotations

import random
import string
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NOW = "2026-11-23T02:00:00+00:00"
BIG_RUN = "run-big"


def big_batch(n: int, run_id: str = BIG_RUN):
    """n distinct documents of ~1 kB (and an article for each): several INSERT chunks per table."""
    from tasks.load import Batch
    from tasks.records import Article, DedupDecision, RunSummary
    from tasks.sources import raw_document

    rnd = random.Random(n)
    docs, arts = [], []
    for i in range(n):
        text = " ".join("".join(rnd.choices(string.ascii_lowercase, k=6)) for _ in range(150))
        doc = raw_document("bulk", f"doc{i:05d}.txt", "text", text.encode(), NOW, url=f"https://bulk.example/{i}")
        docs.append(doc)
        arts.append(Article(doc.raw_id, doc.raw_id, doc.source, doc.url, None, None, (), "2026-11-22",
                            "source", "en", None, text))
    decisions = tuple(DedupDecision(a.article_id, None, None) for a in arts)
    summary = RunSummary(run_id, NOW, NOW, "completed", 1, n, n, 0, 0, 0, 1.0, {})
    return Batch(run_id, tuple(docs), tuple(arts), decisions), summary


def _load_and_hang(db: str, marker: str, n: int) -> None:
    import tasks.load as load
    from tasks.settings import Settings

    real_chunks = load.chunks
    executed = {"n": 0}

    def chunks(rows, max_rows, max_bytes):
        for chunk in real_chunks(rows, max_rows, max_bytes):
            if executed["n"] == 1:  # the first chunk is in the open transaction now
                Path(marker).write_text("mid-load")
                time.sleep(120)  # the test kills us here
            executed["n"] += 1
            yield chunk

    load.chunks = chunks
    batch, summary = big_batch(n)
    load.load_spooled(Settings(db_path=Path(db), lock_retries=1, lock_wait_seconds=0), batch, summary)
    print("finished without being killed", flush=True)


def _hold(db: str, seconds: float) -> None:
    import duckdb

    con = duckdb.connect(db, read_only=True)
    con.execute("SELECT count(*) FROM ops.runs").fetchall()
    print("held", flush=True)
    if seconds > 0:
        time.sleep(seconds)
    else:
        sys.stdin.read()
    con.close()


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "load":
        _load_and_hang(args[0], args[1], int(args[2]))
    elif mode == "hold":
        _hold(args[0], float(args[1]))
    else:
        raise SystemExit(f"unknown mode {mode}")
