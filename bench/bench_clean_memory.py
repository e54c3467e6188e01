"""Bench: is the cleaner's memory flat in the number of pages?

Cleans every fixture page under ../shared/fixtures/pages (the same pages ``make eval-clean`` scores)
again and again, in passes, in this process alone, and reports after each pass:

- the resident set size (RSS, from /proc/self/statm) and the peak RSS so far;
- the bytes Python still holds (tracemalloc, current) after ``gc.collect()``: with nothing kept from
  a page, this stays where it was after the first pass.

A page is decoded, parsed, cleaned and released; the pages' bytes are read from disk on each use, so
nothing but the cleaner's own state could grow.

    make bench-clean                                      # or: .venv/bin/python bench/bench_clean_memory.py
    .venv/bin/python bench/bench_clean_memory.py --passes 5

Results: bench/out/bench-clean-memory.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.scoring import load_pages, page_html  # noqa: E402

PAGES = ROOT.parent / "shared" / "fixtures" / "pages"
OUT = ROOT / "bench" / "out" / "bench-clean-memory.json"
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE_SIZE / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=Path, default=PAGES, help="fixture pages root (default: %(default)s)")
    ap.add_argument("--passes", type=int, default=3, help="passes over all pages (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=OUT, help="JSON results (default: %(default)s)")
    args = ap.parse_args(argv)
    if not args.pages.is_dir():
        print(f"error: {args.pages} not found: the fixture pages live in ../shared/fixtures/pages", file=sys.stderr)
        return 2
    if args.passes < 2:
        print("error: --passes must be at least 2 (the first pass is the baseline)", file=sys.stderr)
        return 2

    from tasks.clean import clean_html

    pages = load_pages(args.pages)
    rows = []
    tracemalloc.start()
    cleaned = 0
    t0 = time.perf_counter()
    for n in range(1, args.passes + 1):
        for p in pages:
            clean_html(page_html(p), p.url)
            cleaned += 1
        gc.collect()
        rows.append({"pass": n, "pages_cleaned": cleaned, "rss_mb": round(rss_mb(), 1),
                     "peak_rss_mb": round(peak_rss_mb(), 1),
                     "python_held_mb": round(tracemalloc.get_traced_memory()[0] / 2**20, 2),
                     "seconds": round(time.perf_counter() - t0, 1)})
        r = rows[-1]
        print(f"pass {n}: {cleaned:>5} pages cleaned, RSS {r['rss_mb']} MB (peak {r['peak_rss_mb']} MB), "
              f"Python holds {r['python_held_mb']} MB, {r['seconds']} s", flush=True)
    tracemalloc.stop()
    first, last = rows[0], rows[-1]
    result = {
        "pages": len(pages), "passes": args.passes, "rows": rows,
        "rss_growth_mb_after_first_pass": round(last["rss_mb"] - first["rss_mb"], 1),
        "python_held_growth_mb_after_first_pass": round(last["python_held_mb"] - first["python_held_mb"], 2),
        "note": "tracemalloc is on, so the seconds are not a speed figure (see make eval-clean)",
    }
    print(f"from {first['pages_cleaned']} to {last['pages_cleaned']} pages: RSS "
          f"{result['rss_growth_mb_after_first_pass']:+} MB, Python-held memory "
          f"{result['python_held_growth_mb_after_first_pass']:+} MB")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
