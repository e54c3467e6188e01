"""Benchmark: the whole pipeline, offline, over the HTML pages in ../shared/fixtures/pages.

Reports articles per second end to end, each stage's share of the time, peak memory (max RSS),
and the time Prefect itself adds (the same input through the nightly_ingest flow versus the same
pure functions called directly). Each mode runs in its own process, on a fresh warehouse.

    make bench                       # or: .venv/bin/python bench/bench_pipeline.py [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT.parent / "shared" / "fixtures" / "pages"
OUT = ROOT / "bench" / "out"


def collect_pages(dest: Path, limit: int | None) -> int:
    """Copy every fixture HTML page into one flat folder (names made unique)."""
    pages = sorted(p for p in PAGES.rglob("*") if p.suffix.lower() in (".html", ".htm") and p.is_file())
    pages = [p for p in pages if p.name != "expected.html"][: limit or None]
    for i, p in enumerate(pages):
        shutil.copyfile(p, dest / f"{i:04d}_{p.parent.name}_{p.name}")
    return len(pages)


def run_pure(work: Path) -> dict:
    """The stages as plain function calls, timed one by one."""
    sys.path.insert(0, str(ROOT))
    from tasks.clean import clean_documents
    from tasks.dedup import dedup_batch, unique_articles
    from tasks.events import extract_events
    from tasks.load import Batch, load_batch
    from tasks.report import StageTimer, summarize
    from tasks.settings import Settings
    from tasks.sources import load_sources, now_utc, read_source, select_new
    from tasks.warehouse import WarehouseIndex

    settings = Settings.from_env(sources_file=work / "sources.yaml", db_path=work / "pure.duckdb")
    timer, started = StageTimer(), now_utc()
    with timer("sources"):
        sources = load_sources(settings.sources_file)
        results = [read_source(s, started, settings) for s in sources]
        docs, failures = select_new(results, set())
    with timer("clean"):
        articles, clean_failures = clean_documents(docs)
    with timer("dedup"):
        with WarehouseIndex(settings.db_path) as index:
            decisions, fps = dedup_batch(articles, index, threshold=settings.near_dup_threshold, k=settings.shingle_size)
    with timer("events"):
        events = [e for a in unique_articles(articles, decisions) for e in extract_events(a.article_id, a.text, a.published)]
    summary = summarize("bench", started, now_utc(), len(sources), len(docs), articles, decisions, events,
                        failures + clean_failures, timer)
    with timer("load"):
        load_batch(settings.db_path, Batch("bench", tuple(docs), tuple(articles), tuple(decisions), tuple(fps),
                                           tuple(events), tuple(failures + clean_failures)), summary)
    return {"seconds": timer.elapsed(), "stage_seconds": timer.seconds, "documents": len(docs),
            "articles": len(articles), "duplicates": summary.articles_duplicate, "failed": summary.articles_failed,
            "events": len(events)}


def run_flow(work: Path) -> dict:
    """The same input through the Prefect flow (temporary API server started beforehand)."""
    sys.path.insert(0, str(ROOT))
    from prefect.testing.utilities import prefect_test_harness

    t_start = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=120):
        server_start = time.perf_counter() - t_start
        from flows.nightly import nightly_ingest

        t0 = time.perf_counter()
        summary = nightly_ingest(sources_file=str(work / "sources.yaml"), db_path=str(work / "flow.duckdb"))
        seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 3), "server_start_seconds": round(server_start, 2),
            "stage_seconds": summary.stage_seconds,
            "documents": summary.documents_read, "articles": summary.articles_new + summary.articles_duplicate,
            "events": summary.events_extracted}


def child(mode: str, work: Path) -> None:
    result = run_pure(work) if mode == "pure" else run_flow(work)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print("RESULT " + json.dumps(result))


def spawn(mode: str, work: Path) -> dict:
    env = dict(os.environ, PREFECT_HOME=str(work / "prefect"), DO_NOT_TRACK="1",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING")
    proc = subprocess.run([sys.executable, __file__, "--child", mode, "--work", str(work)],
                          capture_output=True, text=True, env=env)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode or not lines:
        sys.exit(f"bench {mode} failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][7:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, help="use only the first N pages")
    ap.add_argument("--child", choices=["pure", "flow"], help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.work)
        return
    if not PAGES.is_dir():
        sys.exit(f"no pages at {PAGES}: this benchmark reads ../shared/fixtures/pages")
    with tempfile.TemporaryDirectory(prefix="newsflow-bench-") as tmp:
        work = Path(tmp)
        (work / "pages").mkdir()
        n = collect_pages(work / "pages", args.limit)
        (work / "sources.yaml").write_text("sources:\n  - name: fixture-pages\n    folder: pages\n")
        print(f"{n} HTML pages from {PAGES}", flush=True)
        pure = spawn("pure", work)
        flow = spawn("flow", work)
    total = pure["seconds"]
    lines = [
        f"pages: {n}; articles cleaned: {pure['articles']} ({pure['duplicates']} duplicates); "
        f"failed: {pure['failed']}; events: {pure['events']}",
        "",
        "| measure | value |",
        "|---|---|",
        f"| articles/s end to end (pure functions) | {pure['articles'] / total:.1f} |",
        f"| seconds end to end (pure functions) | {total:.2f} |",
        f"| peak RSS, pure run (MB) | {pure['peak_rss_mb']} |",
        f"| seconds through the Prefect flow (server already up) | {flow['seconds']:.2f} |",
        f"| time Prefect adds (flow - pure) | {flow['seconds'] - total:.2f} s ({(flow['seconds'] - total) / total:.0%}) |",
        f"| starting Prefect's temporary API server (once per `newsflow ingest`) | {flow['server_start_seconds']:.1f} s |",
        f"| peak RSS, flow run (MB) | {flow['peak_rss_mb']} |",
        "",
        "| stage | seconds | share |",
        "|---|---|---|",
    ]
    for stage, secs in pure["stage_seconds"].items():
        lines.append(f"| {stage} | {secs:.2f} | {secs / total:.0%} |")
    report = "\n".join(lines)
    print(report)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "pipeline.json").write_text(json.dumps({"pages": n, "pure": pure, "flow": flow}, indent=2))
    (OUT / "pipeline.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
