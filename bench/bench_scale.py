"""Benchmark: the nightly flow at scale, offline, and its speed-up on Dask.

1. **Scale**: 10,000 and 100,000 articles (``--sizes``), made from ../shared/corpus/bbc_articles.jsonl
   (2,225 real BBC articles, about 40,000 sentences): each article is 8 to 20 sentences drawn at
   random from the whole corpus, in paragraphs of three, so every article is new text made of real
   news sentences (two articles share a sentence now and then, as real ones share a quote, but are
   never near-duplicates); 3% are exact copies of an earlier one (under another id) for dedup to
   find.
   Publication dates spread over two years. They are written as JSONL files of 1,000 lines into a
   folder source, and each size runs the ``nightly_ingest`` flow once on a fresh warehouse, in a
   fresh process (temporary Prefect API server started beforehand, not timed), with the default
   thread runner. Reported: articles/s end to end, and peak memory (max RSS) of the flow's process.
2. **Speed-up** (``--speedup N``): N articles through the flow with ``--runner dask`` on a
   LocalCluster of 1 worker, then of 2 workers (single-threaded processes), each on a fresh
   warehouse in a fresh process, ``--repeat`` times in turn (this machine's speed varies by a
   third from one minute to the next); the ratio of the median wall times. Each run also reports
   the CPU seconds used during the flow by the flow's process, Prefect's server and the workers.

    make bench-scale        # or: .venv/bin/python bench/bench_scale.py [--sizes 10000 100000] [--speedup 6000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "bbc_articles.jsonl"
OUT = ROOT / "bench" / "out"
LINES_PER_FILE = 1000
COPY_SHARE = 0.03
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")


def make_corpus(n: int, dest: Path, seed: int = 7) -> dict:
    """n articles as JSONL files in dest (see the module docstring); returns what was written."""
    rows = [json.loads(line) for line in CORPUS.open(encoding="utf-8")]
    sentences = [s.strip() for r in rows for s in SENTENCE_END.split(r["text"].replace("\n", " ")) if len(s.split()) >= 5]
    rng = random.Random(seed)
    start = date(2024, 1, 1)
    copies, out = 0, None
    made: list[dict] = []
    for i in range(n):
        if i % LINES_PER_FILE == 0:
            if out:
                out.close()
            out = (dest / f"part-{i // LINES_PER_FILE:04d}.jsonl").open("w", encoding="utf-8")
        if made and rng.random() < COPY_SHARE:  # an exact copy of an earlier article, under another id
            rec = dict(rng.choice(made[-500:]), id=f"copy-{i}")
            copies += 1
        else:
            picked = rng.sample(sentences, rng.randint(8, 20))
            paragraphs = [" ".join(picked[j:j + 3]) for j in range(0, len(picked), 3)]
            day = start + timedelta(days=rng.randrange(730))
            rec = {"id": f"a{i}", "title": picked[0][:90], "text": "\n\n".join(paragraphs),
                   "published": day.isoformat()}
            made.append(rec)
        out.write(json.dumps(rec) + "\n")
    if out:
        out.close()
    return {"articles": n, "exact_copies": copies, "sentences_in_pool": len(sentences),
            "files": (n + LINES_PER_FILE - 1) // LINES_PER_FILE}


class CpuMeter:
    """CPU seconds used while the flow runs, by this process ("flow"), Prefect's API server
    ("server") and every other child process (Dask's workers and nannies: "workers"); sampled
    every half second, so a child's last half second may be missed."""

    def __init__(self) -> None:
        import psutil

        self.me = psutil.Process()
        self.kinds: dict[int, str] = {}
        self.start = self._now()
        self.last = dict(self.start)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _now(self) -> dict[int, float]:
        out = {}
        for p in [self.me, *self.me.children(recursive=True)]:
            try:
                t = p.cpu_times()
                out[p.pid] = t.user + t.system
                if p.pid not in self.kinds:
                    cmd = " ".join(p.cmdline())
                    self.kinds[p.pid] = "flow" if p.pid == self.me.pid else "server" if "uvicorn" in cmd else "workers"
            except Exception:  # noqa: BLE001 - a child that just ended
                continue
        return out

    def _sample(self) -> None:
        while not self.stop.wait(0.5):
            self.last.update(self._now())

    def seconds(self) -> dict[str, float]:
        self.stop.set()
        self.thread.join()
        self.last.update(self._now())
        out: dict[str, float] = {"flow": 0.0, "server": 0.0, "workers": 0.0}
        for pid, cpu in self.last.items():
            kind = self.kinds.get(pid, "workers")
            out[kind] += cpu - self.start.get(pid, 0.0)
        return {k: round(v, 1) for k, v in out.items()}


def run_flow(folder: str, db: str, runner: str, workers: int) -> dict:
    """One flow run in this process (called in a fresh subprocess by main)."""
    sys.path.insert(0, str(ROOT))
    from prefect.testing.utilities import prefect_test_harness

    work = Path(db).parent
    (work / "sources.yaml").write_text(f"sources:\n  - name: corpus\n    folder: {folder}\n", encoding="utf-8")
    os.environ["NEWSFLOW_WORKERS"] = str(workers)
    with prefect_test_harness(server_startup_timeout=120):
        from flows.nightly import nightly_ingest

        meter = CpuMeter()
        t0 = time.perf_counter()
        summary = nightly_ingest(sources_file=str(work / "sources.yaml"), db_path=db, runner=runner)
        seconds = time.perf_counter() - t0
        cpu = meter.seconds()
    return {
        "runner": runner, "workers": workers, "seconds": round(seconds, 2),
        "documents": summary.documents_read, "articles_new": summary.articles_new,
        "duplicates": summary.articles_duplicate, "failed": summary.articles_failed,
        "events": summary.events_extracted, "stage_seconds": summary.stage_seconds,
        "articles_per_s": round(summary.documents_read / seconds, 1), "cpu_seconds": cpu,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "children_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }


def in_subprocess(folder: Path, db: Path, runner: str, workers: int) -> dict:
    env = {**os.environ, "PREFECT_HOME": str(db.parent / "prefect"), "DO_NOT_TRACK": "1",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING"}
    env = {k: v for k, v in env.items() if not k.startswith("NEWSFLOW_")}
    proc = subprocess.run([sys.executable, __file__, "--child", str(folder), str(db), runner, str(workers)],
                          env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"flow run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--speedup", type=int, default=6000, help="articles for the Dask 1 vs 2 workers run (0: skip)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each for the speed-up, alternating; the medians are compared (default 3)")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        folder, db, runner, workers = args.child
        print(json.dumps(run_flow(folder, db, runner, int(workers))))
        return
    if not CORPUS.exists():
        raise SystemExit(f"{CORPUS} not found: the benchmark corpus lives in ../shared/corpus")
    OUT.mkdir(parents=True, exist_ok=True)
    result: dict = {"scale": [], "speedup": None}
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="newsflow-scale-") as tmp:
            folder = Path(tmp) / "corpus"
            folder.mkdir()
            made = make_corpus(n, folder)
            run = in_subprocess(folder, Path(tmp) / "w.duckdb", "threads", 0)
            run.update(made, size=n)
            print(f"{n:>7} articles: {run['articles_per_s']} articles/s, {run['seconds']} s, "
                  f"peak RSS {run['peak_rss_mb']} MB, {run['events']} events, stages {run['stage_seconds']}",
                  flush=True)
            result["scale"].append(run)
    if args.speedup:
        with tempfile.TemporaryDirectory(prefix="newsflow-speedup-") as tmp:
            folder = Path(tmp) / "corpus"
            folder.mkdir()
            make_corpus(args.speedup, folder)
            runs: dict[int, list[dict]] = {1: [], 2: []}
            for rep in range(args.repeat):  # 1 and 2 workers in turn, so both meet the same noise
                for workers in (1, 2):
                    work = Path(tmp) / f"w{workers}-{rep}"
                    work.mkdir()
                    run = in_subprocess(folder, work / "w.duckdb", "dask", workers)
                    runs[workers].append(run)
                    print(f"dask, {workers} worker(s): {run['seconds']} s, {run['articles_per_s']} articles/s, "
                          f"stages {run['stage_seconds']}, CPU seconds {run['cpu_seconds']}", flush=True)
            medians = {w: statistics.median(r["seconds"] for r in rs) for w, rs in runs.items()}
            speedup = round(medians[1] / medians[2], 2)
            print(f"speed-up from 1 to 2 Dask workers: {speedup}x (articles: {args.speedup}; median of "
                  f"{args.repeat}: {medians[1]:.1f} s and {medians[2]:.1f} s)")
            result["speedup"] = {"articles": args.speedup, "repeat": args.repeat, "runs": runs,
                                 "median_seconds": medians, "speedup": speedup}
    (OUT / "bench-scale.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"written {OUT / 'bench-scale.json'}")


if __name__ == "__main__":
    main()
