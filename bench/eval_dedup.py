"""Eval: tasks.dedup against the labelled near-duplicate gold (../shared/gold/dedup).

Every gold article (1,600: 400 BBC originals, 3 syndicated variants each) becomes a
``tasks.records.Article`` and goes through one ``tasks.dedup.dedup_batch`` call on an empty
``MemoryIndex``, in arrival order (published, then id), with the settings' threshold and shingle
size. Each article joins the group of its root original (``duplicate_of``); a labelled pair is
predicted duplicate iff both articles are in the same group. Reported:

- precision, recall and F1 over the 5,000 pairs;
- recall per change kind (url_variant, boilerplate, headline_dateline, truncation, update,
  copyedit; a variant-to-variant positive pair counts for both its kinds), also over the pairs
  with the original only, and precision per kind;
- false positives on the negatives, per neg_type (same-category similar, same-site boilerplate,
  same-category random, cross-category random);
- every missed positive and false positive (ids, kind, containment, Jaccard, LSH band keys
  shared, both decisions);
- articles/s of the dedup_batch call (one cold run in this process);
- the issue's goals, PASS/FAIL each (the exit status is 0 either way).

The scoring is ``bench/dedup_scoring.py``, shared with the CI gate ``tests/test_dedup_quality.py``.

    make eval-dedup                          # or: .venv/bin/python bench/eval_dedup.py
    .venv/bin/python bench/eval_dedup.py --gold DIR --out FILE
    .venv/bin/python bench/eval_dedup.py --update-baseline [--force]
    .venv/bin/python bench/eval_dedup.py --build-gate

``--update-baseline`` scores the gate subset (tests/data/dedup_gate/) and rewrites its
baseline.json, each metric rounded down to 2 decimals; it only raises a floor unless ``--force``.
``--build-gate`` re-copies the gate subset from the gold (a deterministic choice of clusters, see
``select_gate_clusters``); only needed if the gold changes.

Results: bench/out/eval-dedup.json (default ``--out``) and the tables on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import baseline  # noqa: E402
from bench.dedup_scoring import (  # noqa: E402
    GATE_METRICS,
    GOLD,
    KINDS,
    ORIGINAL,
    GoldMissing,
    explain_errors,
    gate_metrics,
    load_gold,
    predict,
    read_jsonl,
    reasons_by_perturbation,
    score_pairs,
    select_gate_clusters,
)
from tasks.dedup import shingles, _overlap  # noqa: E402
from tasks.errors import ConfigError  # noqa: E402
from tasks.settings import Settings  # noqa: E402

OUT = ROOT / "bench" / "out" / "eval-dedup.json"
GATE = ROOT / "tests" / "data" / "dedup_gate"
BASELINE = GATE / "baseline.json"
GATE_CLUSTERS = 60

#: The issue's goals: (name, what is measured, target).
GOALS = (
    ("overall precision", ("overall", "precision"), 0.99),
    ("overall recall", ("overall", "recall"), 0.97),
    ("truncation recall", ("by_kind", "truncation", "recall"), 0.95),
    ("update recall", ("by_kind", "update", "recall"), 0.95),
)

NEG_LABELS = {
    "same_category_similar": "same category, similar (hard)",
    "same_site_boilerplate": "same partner site, boilerplate only (hard)",
    "same_category_random": "same category, random",
    "cross_category_random": "other category, random",
}


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path, ROOT)
    except ValueError:
        return str(path)


def _f(v, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def _get(d: dict, keys: tuple[str, ...]):
    for k in keys:
        d = d.get(k) if isinstance(d, dict) else None
    return d


# ---------------------------------------------------------------------------------------------
# The eval
# ---------------------------------------------------------------------------------------------


def evaluate(gold: Path, settings: Settings) -> dict:
    rows, pairs = load_gold(gold)
    run = predict(rows, settings.near_dup_threshold, settings.shingle_size)
    scores = score_pairs(pairs, run.groups)
    by_id = {r["id"]: r for r in rows}
    k = settings.shingle_size
    goals = []
    for name, keys, target in GOALS:
        value = _get(scores, keys)
        goals.append({"goal": name, "value": value, "target": target,
                      "pass": value is not None and value + 1e-12 >= target})

    def versions():
        out = {"python": platform.python_version()}
        for pkg in ("numpy", "newsflow"):
            try:
                out[pkg] = metadata.version(pkg)
            except metadata.PackageNotFoundError:
                pass
        return out

    return {
        "generated": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), **versions()},
        "gold": str(gold),
        "settings": {"near_dup_threshold": settings.near_dup_threshold, "shingle_size": k},
        "scoring": ("One dedup_batch over all articles (arrival order: published, id; empty MemoryIndex). "
                    "A pair is predicted duplicate iff both articles have the same root original. "
                    "Per kind: a positive pair counts for each non-original perturbation it has; 'recall' "
                    "over all such pairs, 'recall_vs_original' over the pairs with the original; "
                    "'precision' = tp / (tp + false positives with an article of that perturbation)."),
        "articles": len(rows),
        "clusters": len({r["cluster_id"] for r in rows}),
        "perturbations": {p: sum(1 for r in rows if r["perturbation"] == p) for p in (ORIGINAL, *KINDS)},
        "overall": scores["overall"],
        "by_kind": scores["by_kind"],
        "by_pair_kinds": scores["by_pair_kinds"],
        "negatives": scores["negatives"],
        "decisions_by_perturbation": reasons_by_perturbation(rows, run.decisions),
        "speed": {"articles": len(run.order), "seconds": round(run.seconds, 3),
                  "articles_per_s": round(run.articles_per_s, 1),
                  "note": "the dedup_batch call alone, one cold run (fresh process, empty MemoryIndex)"},
        "goals": goals,
        "missed_positives": explain_errors(scores["missed"], by_id, run, k),
        "false_positives": explain_errors(scores["false_positives"], by_id, run, k),
    }


def report(res: dict) -> str:
    o, sp = res["overall"], res["speed"]
    out = [
        f"eval-dedup: {res['articles']} articles ({res['clusters']} clusters), {o['pairs']} pairs "
        f"({o['positives']} duplicate, {o['negatives']} not) from {_display(Path(res['gold']))}",
        f"dedup_batch: containment threshold {res['settings']['near_dup_threshold']}, "
        f"{res['settings']['shingle_size']}-word shingles; {sp['articles']} articles in {sp['seconds']:.2f} s "
        f"= {sp['articles_per_s']:.0f} articles/s",
        "",
        "| pairs | TP | FP | FN | TN | precision | recall | F1 |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {o['pairs']} | {o['tp']} | {o['fp']} | {o['fn']} | {o['tn']} | {_f(o['precision'], 4)} "
        f"| {_f(o['recall'], 4)} | {_f(o['f1'], 4)} |",
        "",
        "| change kind | positive pairs | recall | pairs with the original | recall vs original | FP | precision |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kd, s in res["by_kind"].items():
        out.append(f"| {kd} | {s['n']} | {_f(s['recall'])} | {s['n_vs_original']} | {_f(s['recall_vs_original'])} "
                   f"| {s['fp']} | {_f(s['precision'])} |")
    out += ["", "| negative kind | pairs | false positives | FP rate |", "|---|---:|---:|---:|"]
    for nk, s in res["negatives"].items():
        out.append(f"| {NEG_LABELS.get(nk, nk)} | {s['n']} | {s['fp']} | {_f(s['fp_rate'])} |")
    out += ["", "How each article was decided (reason of its dedup decision):", "",
            "| perturbation | new | url | version | exact | near |", "|---|---:|---:|---:|---:|---:|"]
    for pert, c in res["decisions_by_perturbation"].items():
        out.append(f"| {pert} | {c['new']} | {c['url']} | {c['version']} | {c['exact']} | {c['near']} |")
    out += ["", "| goal | value | target | result |", "|---|---:|---:|---|"]
    for g in res["goals"]:
        out.append(f"| {g['goal']} | {_f(g['value'], 4)} | ≥ {g['target']:.2f} | {'PASS' if g['pass'] else 'FAIL'} |")
    for title, errs in (("missed positives", res["missed_positives"]), ("false positives", res["false_positives"])):
        out += ["", f"{title}: {len(errs)}" + ("" if errs else " (none)")]
        for e in errs:
            d1, d2 = e["decision1"] or {}, e["decision2"] or {}
            out.append(f"  {e['pair_id']}  {e['id1']} ~ {e['id2']}  kind {e['kind']}  containment {e['containment']:.3f}"
                       f"  Jaccard {e['jaccard']:.3f}  LSH bands shared {e['shared_band_keys']}"
                       f"  words {e['words'][0]}/{e['words'][1]}  decided {d1.get('reason') or 'new'}/"
                       f"{d2.get('reason') or 'new'}")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# The CI gate: its subset and its floors
# ---------------------------------------------------------------------------------------------


def gate_scores(settings: Settings) -> dict[str, float]:
    """The gate metrics on tests/data/dedup_gate (exactly what tests/test_dedup_quality.py measures)."""
    rows, pairs = load_gold(GATE)
    run = predict(rows, settings.near_dup_threshold, settings.shingle_size)
    return gate_metrics(score_pairs(pairs, run.groups))


def update_baseline(settings: Settings, force: bool) -> int:
    measured = gate_scores(settings)
    floors, changes, below = baseline.tighten(measured, baseline.read(BASELINE).get("floors", {}), GATE_METRICS, force)
    doc = {
        "about": "Floors for tests/test_dedup_quality.py: tasks.dedup's pair scores on the gold subset in this "
                 "folder, each rounded down to 2 decimals. Raise a floor whenever you raise the score: "
                 "`.venv/bin/python bench/eval_dedup.py --update-baseline`.",
        "settings": {"near_dup_threshold": settings.near_dup_threshold, "shingle_size": settings.shingle_size},
        "metrics": {"precision": "pair precision (same group = predicted duplicate)",
                    "recall": "pair recall over exact_dup + near_dup pairs",
                    "f1": "pair F1",
                    "recall_truncation": "recall over the positive pairs with a truncated copy",
                    "recall_update": "recall over the positive pairs with an updated copy"},
        "floors": floors,
        "measured": {k: round(v, 4) for k, v in measured.items()},
    }
    baseline.write(BASELINE, doc, changes, _display(BASELINE))
    return 1 if below else 0


def build_gate(gold: Path, settings: Settings) -> int:
    """Re-copy the gate subset: GATE_CLUSTERS clusters, their rows and every pair inside them, unchanged."""
    rows, pairs = load_gold(gold)
    k = settings.shingle_size
    run = predict(rows, settings.near_dup_threshold, k)
    scores = score_pairs(pairs, run.groups)
    cluster_of = {r["id"]: r["cluster_id"] for r in rows}
    must: list[str] = []
    for p in scores["missed"] + scores["false_positives"]:  # what we get wrong today
        must += [cluster_of[p.id1], cluster_of[p.id2]]
    # the hardest pair of each kind by our own containment: lowest positive, highest negative
    sh = {r["id"]: shingles(r["text"], k) for r in rows}
    cont = {p.pair_id: _overlap(sh[p.id1], sh[p.id2]) for p in pairs}
    for kd in KINDS:
        pos = [p for p in pairs if p.positive and kd in p.kinds]
        if pos:
            p = min(pos, key=lambda p: (cont[p.pair_id], p.pair_id))
            must += [cluster_of[p.id1], cluster_of[p.id2]]
    for nk in sorted({p.neg_type for p in pairs if not p.positive and p.neg_type}):
        negs = sorted((p for p in pairs if p.neg_type == nk), key=lambda p: (-cont[p.pair_id], p.pair_id))
        for p in negs[:2]:
            must += [cluster_of[p.id1], cluster_of[p.id2]]
    chosen = set(select_gate_clusters(rows, pairs, GATE_CLUSTERS, must))
    raw_pairs = read_jsonl(gold / "pairs.jsonl")
    GATE.mkdir(parents=True, exist_ok=True)
    n_rows = n_pairs = 0
    with (GATE / "articles.jsonl").open("w", encoding="utf-8") as f:
        for r in rows:
            if r["cluster_id"] in chosen:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
                n_rows += 1
    with (GATE / "pairs.jsonl").open("w", encoding="utf-8") as f:
        for d in raw_pairs:
            if cluster_of[d["id1"]] in chosen and cluster_of[d["id2"]] in chosen:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
                n_pairs += 1
    print(f"wrote {_display(GATE)}: {len(chosen)} clusters, {n_rows} articles, {n_pairs} pairs")
    print("clusters: " + " ".join(sorted(chosen)))
    return 0


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="Threshold and shingle size come from NEWSFLOW_NEAR_DUP_THRESHOLD and "
                                        "NEWSFLOW_SHINGLE_SIZE (defaults 0.8 and 3); the options win over them.")
    ap.add_argument("--gold", type=Path, default=GOLD, help=f"gold folder with articles.jsonl and pairs.jsonl "
                                                             f"(default: {_display(GOLD)})")
    ap.add_argument("--out", type=Path, default=OUT, help=f"JSON results (default: {_display(OUT)})")
    ap.add_argument("--threshold", type=float, default=None, help="containment threshold for a near-duplicate")
    ap.add_argument("--shingle-size", type=int, default=None, help="words per shingle")
    ap.add_argument("--update-baseline", action="store_true",
                    help="score the gate subset (tests/data/dedup_gate) and rewrite its baseline.json (raise only)")
    ap.add_argument("--force", action="store_true", help="with --update-baseline: also lower floors")
    ap.add_argument("--build-gate", action="store_true",
                    help=f"re-copy the gate subset ({GATE_CLUSTERS} clusters) from --gold into {_display(GATE)}")
    args = ap.parse_args(argv)
    if args.force and not args.update_baseline:
        ap.error("--force only goes with --update-baseline")
    try:
        settings = Settings.from_env(near_dup_threshold=args.threshold, shingle_size=args.shingle_size)
    except ConfigError as e:
        print(f"eval-dedup: {e}", file=sys.stderr)
        return 2
    try:
        if args.update_baseline:
            return update_baseline(settings, args.force)
        if args.build_gate:
            return build_gate(args.gold.resolve(), settings)
        res = evaluate(args.gold.resolve(), settings)
    except (GoldMissing, ValueError) as e:
        print(f"eval-dedup: {e}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(report(res))
    print(f"\nwrote {_display(args.out.resolve())}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
