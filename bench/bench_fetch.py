"""Benchmark: live fetching against a local publisher that adds latency to every response.

`bench/fetch_server.py` runs in its own process and plays N hosts (ports on 127.0.0.1), each
answering after --latency seconds. Three measurements, each in a fresh child process:

1. throughput: --pages article pages spread evenly over the hosts, fetched through the same
   Fetcher the flow uses (global limit NEWSFLOW_CONCURRENCY, NEWSFLOW_PER_HOST_LIMIT per host).
   Pages/s against the ceiling hosts x per-host limit / latency, and peak RSS. Bodies are counted
   and dropped as they arrive, so this is the fetcher's own memory.
2. retained: the same pages read as a `urls:` source by `read_source`, which keeps every page as
   a RawDocument until the load: the memory the sources stage of a night of that size needs.
3. second run: the nightly flow twice on one warehouse, over one feed per host; the requests
   the immediate second run makes (it should make one conditional feed request per feed and
   nothing else: robots.txt is cached for a day, unchanged feeds answer 304).

    make bench-fetch        # or: .venv/bin/python bench/bench_fetch.py [--pages N] [--hosts N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT.parent / "shared" / "fixtures" / "pages"
OUT = ROOT / "bench" / "out"
ARGS: argparse.Namespace


def fixture_pages(limit: int = 200) -> list[str]:
    pages = sorted(p for p in PAGES.rglob("*.html") if p.name != "expected.html" and p.stat().st_size > 1024)
    return [str(p) for p in pages[:limit]]


def start_server(hosts: int, latency: float, pages_per_host: int, pages: list[str]) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "fetch_server.py"), "--hosts", str(hosts), "--latency", str(latency),
         "--pages-per-host", str(pages_per_host), *pages],
        stdout=subprocess.PIPE, text=True)
    info = json.loads(proc.stdout.readline())
    return proc, info


def server_log(control: int, reset: bool = False) -> list[dict]:
    with urllib.request.urlopen(f"http://127.0.0.1:{control}/{'reset' if reset else 'stats'}") as r:
        return json.loads(r.read())


def page_urls(ports: list[int], n: int) -> list[str]:
    """n page URLs, host by host (the fetcher must not let one host's queue hold up the others)."""
    per = n // len(ports)
    return [f"http://127.0.0.1:{p}/page/{i}.html" for p in ports for i in range(per)]


# --------------------------------------------------------------------------- children


def child_throughput(args: argparse.Namespace) -> dict:
    sys.path.insert(0, str(ROOT))
    from tasks.fetch import PAGE_TYPES, Fetcher, FetchPolicy
    from tasks.settings import Settings

    settings = Settings.from_env()
    urls = page_urls(args.ports, args.pages)
    ok = failed = nbytes = 0
    reasons: Counter = Counter()
    rss_start = _rss_mb()
    t0 = time.perf_counter()
    with Fetcher(FetchPolicy.from_settings(settings)) as fetcher:
        for _, got in fetcher.get_many(urls, accept=PAGE_TYPES):
            if isinstance(got, Exception):
                failed += 1
                reasons[getattr(got, "reason", type(got).__name__)] += 1
            else:
                ok += 1
                nbytes += len(got.body)
        requests = len(fetcher.requests)
    seconds = time.perf_counter() - t0
    return {"pages": ok, "failed": failed, "reasons": dict(reasons), "seconds": round(seconds, 2),
            "mb": round(nbytes / 1e6, 1), "requests": requests, "rss_start_mb": rss_start}


def child_retained(args: argparse.Namespace) -> dict:
    sys.path.insert(0, str(ROOT))
    from tasks.records import Source
    from tasks.settings import Settings
    from tasks.sources import now_utc, read_source

    settings = Settings.from_env()
    urls = page_urls(args.ports, args.pages)
    rss_start = _rss_mb()
    t0 = time.perf_counter()
    result = read_source(Source("bench", "urls", "bench", tuple(urls)), now_utc(), settings)
    seconds = time.perf_counter() - t0
    return {"pages": len(result.documents), "failed": len(result.failures), "seconds": round(seconds, 2),
            "mb": round(sum(len(d.body) for d in result.documents) / 1e6, 1), "rss_start_mb": rss_start}


def child_flow_twice(args: argparse.Namespace) -> dict:
    sys.path.insert(0, str(ROOT))
    from prefect.testing.utilities import prefect_test_harness

    work = Path(args.work)
    sources = work / "sources.yaml"
    sources.write_text("sources:\n" + "".join(
        f"  - name: host-{p}\n    feed: http://127.0.0.1:{p}/feed.xml\n" for p in args.ports))
    db = work / "flow.duckdb"
    with prefect_test_harness(server_startup_timeout=120):
        from flows.nightly import nightly_ingest

        t0 = time.perf_counter()
        first = nightly_ingest(sources_file=str(sources), db_path=str(db))
        t1 = time.perf_counter()
        log_first = server_log(args.control, reset=True)
        second = nightly_ingest(sources_file=str(sources), db_path=str(db))
        t2 = time.perf_counter()
        log_second = server_log(args.control)
    return {
        "first": {"seconds": round(t1 - t0, 2), "documents": first.documents_read, "requests": _kinds(log_first),
                  "source_status": first.source_status},
        "second": {"seconds": round(t2 - t1, 2), "documents": second.documents_read, "requests": _kinds(log_second),
                   "source_status": second.source_status},
    }


def _kinds(log: list[dict]) -> dict:
    kinds: Counter = Counter()
    for r in log:
        kind = {"/robots.txt": "robots.txt", "/feed.xml": "feed"}.get(r["path"], "page")
        kinds[kind + (" (conditional)" if r["conditional"] else "")] += 1
    return dict(kinds)


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


CHILDREN = {"throughput": child_throughput, "retained": child_retained, "flow": child_flow_twice}


def spawn(mode: str, info: dict, extra: list[str], env: dict[str, str]) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--ports", ",".join(map(str, info["ports"])),
           "--control", str(info["control"]), "--pages", str(ARGS.pages), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode or not lines:
        sys.exit(f"bench {mode} failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][7:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=10_000, help="pages to fetch (default 10000)")
    ap.add_argument("--hosts", type=int, default=20, help="hosts (ports) to spread them over (default 20)")
    ap.add_argument("--latency", type=float, default=0.1, help="seconds added to every response (default 0.1)")
    ap.add_argument("--feed-entries", type=int, default=10, help="entries per feed in the second-run test")
    ap.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    ap.add_argument("--ports", help=argparse.SUPPRESS)
    ap.add_argument("--control", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    args = ap.parse_args()
    global ARGS
    ARGS = args
    if args.child:
        args.ports = [int(p) for p in args.ports.split(",")]
        result = CHILDREN[args.child](args)
        result["peak_rss_mb"] = _rss_mb()
        print("RESULT " + json.dumps(result))
        return
    if not PAGES.is_dir():
        sys.exit(f"no pages at {PAGES}: this benchmark serves the pages of ../shared/fixtures/pages")
    pages = fixture_pages()
    env = dict(os.environ, NEWSFLOW_ALLOW_HOSTS="127.0.0.1", DO_NOT_TRACK="1",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING")
    with tempfile.TemporaryDirectory(prefix="newsflow-bench-fetch-") as tmp:
        env["PREFECT_HOME"] = str(Path(tmp) / "prefect")
        env["NEWSFLOW_DB_PATH"] = str(Path(tmp) / "unused.duckdb")
        server, info = start_server(args.hosts, args.latency, args.pages // args.hosts, pages)
        try:
            print(f"{args.hosts} hosts, {args.latency * 1000:.0f} ms per response, {len(pages)} distinct real pages",
                  flush=True)
            thr = spawn("throughput", info, [], env)
            print(f"throughput: {thr}", flush=True)
            kept = spawn("retained", info, [], env)
            print(f"retained: {kept}", flush=True)
        finally:
            server.terminate()
            server.wait()
        server, info = start_server(args.hosts, args.latency, args.feed_entries, pages)
        try:
            flow = spawn("flow", info, ["--work", tmp], env)
            print(f"flow twice: {flow}", flush=True)
        finally:
            server.terminate()
            server.wait()
    per_host = int(env.get("NEWSFLOW_PER_HOST_LIMIT", "2"))
    ceiling = args.hosts * per_host / args.latency
    rate = thr["pages"] / thr["seconds"]
    second = flow["second"]["requests"]
    lines = [
        f"{args.pages} pages over {args.hosts} hosts, +{args.latency * 1000:.0f} ms per response, "
        f"per-host limit {per_host}; pages are {len(pages)} real fixture pages, cycled ({thr['mb']} MB in all)",
        "",
        "| measure | value |",
        "|---|---|",
        f"| pages/s (fetcher, bodies dropped as they arrive) | {rate:.0f} |",
        f"| ceiling: hosts x per-host limit / latency | {ceiling:.0f} |",
        f"| share of the ceiling | {rate / ceiling:.0%} |",
        f"| pages fetched / failed | {thr['pages']} / {thr['failed']} {thr['reasons'] or ''} |",
        f"| peak RSS, fetcher streaming {thr['pages']} pages (MB) | {thr['peak_rss_mb']} (at start {thr['rss_start_mb']}) |",
        f"| peak RSS, `read_source` keeping {kept['pages']} pages as RawDocuments (MB) | {kept['peak_rss_mb']} "
        f"(bodies {kept['mb']} MB) |",
        f"| pages/s, `read_source` on a `urls:` source | {kept['pages'] / kept['seconds']:.0f} |",
        f"| first flow run: requests | {json.dumps(flow['first']['requests'])} |",
        f"| immediate second run: requests | {json.dumps(second)} |",
        f"| immediate second run: sources | {json.dumps(flow['second']['source_status'])} |",
    ]
    report = "\n".join(lines)
    print(report)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "fetch.json").write_text(json.dumps({"throughput": thr, "retained": kept, "flow": flow,
                                                "ceiling": ceiling}, indent=2))
    (OUT / "fetch.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
