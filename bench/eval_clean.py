"""Eval: our article cleaner (tasks.clean) against trafilatura, on every fixture page with an expected output.

Scores body text (token precision/recall/F1; postlight: lead hit), title, author and date (exact-match
rates) per dataset and overall, and pages per second, for three systems run side by side in one
process on the same decoded pages:

- ``ours``: ``tasks.clean.clean_html(html, url)``;
- ``trafilatura``: ``trafilatura.extract(html, url=url, output_format="json", with_metadata=True)``
  with default settings;
- ``trafilatura_precision``: the same with ``favor_precision=True``.

The scoring itself (loaders, normalizations, aggregation) is ``bench/scoring.py``, shared with the CI
gate ``tests/test_clean_quality.py``. trafilatura is a dev-only yardstick (``requirements-eval.txt``),
never a runtime dependency.

    make eval-clean                                   # or: .venv/bin/python bench/eval_clean.py
    .venv/bin/python bench/eval_clean.py --limit 40   # a quick look
    .venv/bin/python bench/eval_clean.py --update-baseline [--force]

``--update-baseline`` scores only our cleaner on the gate subset (tests/data/clean_gate/) and rewrites
tests/data/clean_gate/baseline.json with each metric rounded down to 2 decimals. It only ever raises
a floor; ``--force`` also lowers them (say why in the commit).

Results: bench/out/eval-clean.json and bench/out/eval-clean.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import platform
import sys
import time
import warnings
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import baseline  # noqa: E402
from bench.scoring import (  # noqa: E402
    DATASETS,
    LEAD_WINDOW,
    Page,
    Prediction,
    gate_metrics,
    load_pages,
    page_html,
    predict_ours,
    score_page,
    summarize,
)

PAGES = ROOT.parent / "shared" / "fixtures" / "pages"
GATE = ROOT / "tests" / "data" / "clean_gate"
BASELINE = GATE / "baseline.json"
OUT = ROOT / "bench" / "out"

SYSTEMS = ("ours", "trafilatura", "trafilatura_precision")
LABELS = {"ours": "ours (tasks.clean)", "trafilatura": "trafilatura default",
          "trafilatura_precision": "trafilatura favor_precision"}
WORST_N = 15

SCORING_NOTES = [
    "Body (readability, newspaper, newspaper4k): token precision/recall/F1, bag of lower-cased NFKC word "
    "tokens with multiplicity (Counter intersection), mean over pages; scripts without spaces (CJK, kana, "
    "Thai, Lao, Khmer, Burmese) count one token per character. Expected text: readability expected.html's "
    "text; newspaper/newspaper4k .txt files (newspaper's failure notes skipped). An empty output scores 0.",
    f"Lead (postlight, no full expected body): hit when the expected first words (13, from the project's JS "
    f"tests) occur, tokenized and joined without separators, starting within the first {LEAD_WINDOW} tokens "
    "of the output. Postlight pages are not in the body P/R/F1 means.",
    "Numbers in brackets: how many pages the rate or mean is over. "
    "Title: equal after lower-casing, collapsing whitespace, deleting quote marks. Author: equal sets of names "
    "(lower-cased, leading 'By' removed; bylines split on , ; | & 'and' and newlines; parts with digits "
    "dropped). Date: same calendar day (as written, or in UTC). Rates count only pages with an expected value.",
    "Speed: pages per second of the extraction call alone (decoded str in, result out), all systems in one "
    "process on the same pages, interleaved page by page with the order rotated; decoding is done once "
    "beforehand and not timed for anyone.",
]


# ---------------------------------------------------------------------------------------------
# Systems
# ---------------------------------------------------------------------------------------------


def trafilatura_system(favor_precision: bool):
    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    logging.getLogger("htmldate").setLevel(logging.CRITICAL)
    logging.getLogger("courlan").setLevel(logging.CRITICAL)
    extra = {"favor_precision": True} if favor_precision else {}

    def run(html: str, url: str | None) -> Prediction:
        out = trafilatura.extract(html, url=url, output_format="json", with_metadata=True, **extra)
        if not out:
            return Prediction()
        d = json.loads(out)
        return Prediction(text=d.get("text") or "", title=d.get("title"), authors=d.get("author"),
                          date=d.get("date"))

    return run


def systems(names: tuple[str, ...]) -> dict:
    table = {"ours": lambda: predict_ours,
             "trafilatura": lambda: trafilatura_system(False),
             "trafilatura_precision": lambda: trafilatura_system(True)}
    return {n: table[n]() for n in names}


def run_all(pages: list[Page], names: tuple[str, ...], progress: bool = True):
    """Decode every page once, then run each system on it (interleaved, order rotated), timing the calls."""
    warnings.simplefilter("ignore")  # dateutil's UnknownTimezoneWarning and the like, from any system
    runners = systems(names)
    htmls = [page_html(p) for p in pages]
    # Warm-up (imports, lazily built tables) on the first page, not timed.
    for run in runners.values():
        try:
            run(htmls[0], pages[0].url)
        except Exception:  # noqa: BLE001
            pass
    seconds = {n: 0.0 for n in names}
    rows: dict[str, list[dict]] = {n: [] for n in names}
    errors: dict[str, list[str]] = {n: [] for n in names}
    order = list(names)
    gc.collect()
    for i, (page, html) in enumerate(zip(pages, htmls)):
        k = i % len(order)
        for name in order[k:] + order[:k]:
            t0 = time.perf_counter()
            try:
                pred = runners[name](html, page.url)
            except Exception as e:  # noqa: BLE001 - a crash scores as an empty extraction
                pred = Prediction()
                errors[name].append(f"{page.key}: {type(e).__name__}: {e}")
            dt = time.perf_counter() - t0
            seconds[name] += dt
            row = score_page(page, pred)
            row["seconds"] = dt
            rows[name].append(row)
        if progress and (i + 1) % 50 == 0:
            print(f"  {i + 1}/{len(pages)} pages", file=sys.stderr, flush=True)
    return rows, seconds, errors


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def results(pages: list[Page], rows: dict, seconds: dict, errors: dict) -> dict:
    names = list(rows)
    by_ds: dict = {}
    for ds in DATASETS + ("overall",):
        idx = [i for i, p in enumerate(pages) if ds == "overall" or p.dataset == ds]
        if not idx:
            continue
        by_ds[ds] = {}
        for n in names:
            sub = [rows[n][i] for i in idx]
            s = summarize(sub)
            secs = sum(r["seconds"] for r in sub)
            s["seconds"] = secs
            s["pages_per_s"] = len(sub) / secs if secs else None
            by_ds[ds][n] = s
    speed = {n: {"pages": len(pages), "seconds": round(seconds[n], 3),
                 "pages_per_s": round(len(pages) / seconds[n], 2) if seconds[n] else None,
                 "ms_per_page": round(1000 * seconds[n] / len(pages), 2)} for n in names}

    worst = []
    if "ours" in rows and len(names) > 1:
        for i, p in enumerate(pages):
            if "f1" not in rows["ours"][i]:
                continue
            others = {n: rows[n][i]["f1"] for n in names if n != "ours"}
            best = max(others.values())
            worst.append({"page": p.key, "html": str(p.html_path), "url": p.url,
                          "ours_f1": round(rows["ours"][i]["f1"], 4),
                          "ours_p": round(rows["ours"][i]["p"], 4), "ours_r": round(rows["ours"][i]["r"], 4),
                          **{f"{n}_f1": round(v, 4) for n, v in others.items()},
                          "delta_vs_best_trafilatura": round(rows["ours"][i]["f1"] - best, 4)})
        worst.sort(key=lambda w: w["delta_vs_best_trafilatura"])
        worst = worst[:WORST_N]
    lead_misses = []
    if "ours" in rows and "trafilatura" in rows:
        lead_misses = [pages[i].key for i, r in enumerate(rows["ours"])
                       if r.get("lead") is False and rows["trafilatura"][i].get("lead")]

    def versions():
        out = {"python": platform.python_version()}
        for pkg in ("trafilatura", "lxml", "beautifulsoup4", "htmldate", "justext"):
            try:
                out[pkg] = metadata.version(pkg)
            except metadata.PackageNotFoundError:
                pass
        return out

    per_page = []
    for i, p in enumerate(pages):
        entry = {"page": p.key, "url": p.url}
        for n in names:
            entry[n] = {k: (round(v, 4) if isinstance(v, float) else v)
                        for k, v in rows[n][i].items() if k not in ("page", "dataset")}
        per_page.append(entry)

    return {
        "generated": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), **versions()},
        "pages_root": str(PAGES),
        "systems": {n: LABELS[n] for n in names},
        "scoring": SCORING_NOTES,
        "pages": {ds: sum(1 for p in pages if p.dataset == ds) for ds in DATASETS},
        "results": by_ds,
        "speed": speed,
        "errors": {n: e for n, e in errors.items() if e},
        "worst_vs_trafilatura": worst,
        "postlight_lead_missed_but_trafilatura_hit": lead_misses,
        "per_page": per_page,
    }


def _fmt(v, n=None) -> str:
    if v is None:
        return "–"
    s = f"{v:.3f}"
    return f"{s} ({n})" if n is not None else s


def table(res: dict) -> str:
    head = ("| dataset | system | pages | body P | body R | body F1 | lead hit | title | author | date | pages/s |\n"
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    lines = [head]
    for ds, by_sys in res["results"].items():
        for n, s in by_sys.items():
            lines.append(
                f"| {ds} | {n} | {s['pages']} | {_fmt(s['body_p'])} | {_fmt(s['body_r'])} "
                f"| {_fmt(s['body_f1'], s['body_pages']) if s['body_pages'] else '–'} "
                f"| {_fmt(s['lead'], s['lead_n']) if s['lead_n'] else '–'} "
                f"| {_fmt(s['title'], s['title_n']) if s['title_n'] else '–'} "
                f"| {_fmt(s['author'], s['author_n']) if s['author_n'] else '–'} "
                f"| {_fmt(s['date'], s['date_n']) if s['date_n'] else '–'} "
                f"| {s['pages_per_s']:.1f} |"
            )
    return "\n".join(lines)


def markdown(res: dict) -> str:
    m = res["machine"]
    out = [
        "# eval-clean: tasks.clean vs trafilatura",
        "",
        f"Generated {res['generated']} on {m['cpus']} CPUs, Python {m['python']}, trafilatura "
        f"{m.get('trafilatura', '–')}, lxml {m.get('lxml')}. Pages: "
        + ", ".join(f"{ds} {n}" for ds, n in res["pages"].items()) + f" ({sum(res['pages'].values())} in all).",
        "",
        "Systems: " + "; ".join(f"`{k}` = {v}" for k, v in res["systems"].items()) + ".",
        "",
        table(res),
        "",
        "| system | pages | seconds | pages/s | ms/page |",
        "|---|---:|---:|---:|---:|",
    ]
    for n, s in res["speed"].items():
        out.append(f"| {n} | {s['pages']} | {s['seconds']:.2f} | {s['pages_per_s']:.1f} | {s['ms_per_page']:.1f} |")
    out += ["", "How it is scored:", ""] + [f"- {x}" for x in res["scoring"]]
    if res["worst_vs_trafilatura"]:
        out += ["", f"Pages where our body F1 is lowest relative to the better trafilatura setting "
                    f"(first {len(res['worst_vs_trafilatura'])}):", "",
                "| page | ours F1 (P/R) | trafilatura F1 | favor_precision F1 | delta |", "|---|---:|---:|---:|---:|"]
        for w in res["worst_vs_trafilatura"]:
            out.append(f"| {w['page']} | {w['ours_f1']:.3f} ({w['ours_p']:.2f}/{w['ours_r']:.2f}) "
                       f"| {w.get('trafilatura_f1', float('nan')):.3f} "
                       f"| {w.get('trafilatura_precision_f1', float('nan')):.3f} | {w['delta_vs_best_trafilatura']:+.3f} |")
    if res["errors"]:
        out += ["", "Errors (scored as empty output):", ""]
        for n, errs in res["errors"].items():
            out += [f"- {n}: {e}" for e in errs]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# Baseline for the CI gate
# ---------------------------------------------------------------------------------------------


def gate_scores() -> dict[str, float]:
    """Our cleaner's gate metrics on tests/data/clean_gate (exactly what tests/test_clean_quality.py measures)."""
    pages = load_pages(GATE)
    rows = [score_page(p, predict_ours(page_html(p), p.url)) for p in pages]
    return gate_metrics(summarize(rows))


def update_baseline(force: bool) -> int:
    measured = gate_scores()
    old_floors = baseline.read(BASELINE).get("floors", {})
    floors, changes, below = baseline.tighten(measured, old_floors, list(dict.fromkeys([*old_floors, *measured])), force)
    doc = {
        "about": "Floors for tests/test_clean_quality.py: our cleaner's scores on the pages in this folder, "
                 "each rounded down to 2 decimals. Raise a floor whenever you raise the score: "
                 "`.venv/bin/python bench/eval_clean.py --update-baseline`.",
        "metrics": {"body_f1": "mean token F1 of the body, full-text pages",
                    "lead": "postlight pages: expected first words near the start of the text",
                    "title": "title exact-match rate", "author": "author-set exact-match rate",
                    "date": "same-calendar-day rate"},
        "floors": floors,
        "measured": {k: round(v, 4) for k, v in measured.items()},
    }
    baseline.write(BASELINE, doc, changes, str(BASELINE.relative_to(ROOT)))
    return 1 if below else 0


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=Path, default=PAGES, help="pages root (shared/fixtures/pages layout)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages")
    ap.add_argument("--systems", default=",".join(SYSTEMS), help=f"comma-separated subset of {','.join(SYSTEMS)}")
    ap.add_argument("--update-baseline", action="store_true", help="rewrite the gate's baseline.json (raise only)")
    ap.add_argument("--force", action="store_true", help="with --update-baseline: also lower floors")
    args = ap.parse_args(argv)

    if args.update_baseline:
        return update_baseline(args.force)
    if args.force:
        ap.error("--force only goes with --update-baseline")

    names = tuple(n.strip() for n in args.systems.split(",") if n.strip())
    unknown = [n for n in names if n not in SYSTEMS]
    if unknown or not names:
        ap.error(f"unknown system(s) {unknown}; choose from {SYSTEMS}")
    if not args.pages.is_dir():
        print(f"no pages at {args.pages}: the eval needs ../shared/fixtures/pages", file=sys.stderr)
        return 2
    pages = load_pages(args.pages)[: args.limit or None]
    print(f"eval-clean: {len(pages)} pages, systems {', '.join(names)}", file=sys.stderr)
    rows, seconds, errors = run_all(pages, names)
    res = results(pages, rows, seconds, errors)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "eval-clean.json").write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    md = markdown(res)
    (OUT / "eval-clean.md").write_text(md, encoding="utf-8")
    print(md)
    print(f"wrote {OUT.relative_to(ROOT)}/eval-clean.json and eval-clean.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
