"""Eval: tasks.events.extract_events against the PLOVER event gold (../shared/gold/events).

Three gold sets (see ../shared/gold/events/README.md):

- PETR2: 78 AFP sentences, CAMEO codes mapped to PLOVER (12 marked as having no event);
- the seed gold: the two seed articles, every body sentence hand-coded (type, mode, actor and
  recipient with country and sector, place, date, dead, injured);
- CASE 2021: 1,019 conflict snippets with an ACLED sub-event type, mapped to a PLOVER type
  (``ACLED_TO_PLOVER`` in bench/events_scoring.py; unmapped types are left out of P/R/F1).

Reported:

- precision, recall, F1 at three levels (type; type + actor country; type + actor country +
  recipient country) on PETR2 and on the seeds; type only on CASE. Headline counting is
  ../shared/tools/score_events.py's (per sentence, sets of tuples); the one-to-one event counting
  (multisets) is given next to it, and the tool itself is run on the PETR2 predictions as a check;
- events coded on the sentences marked as having none (PETR2 ``no_events_expected``; seed rows
  with no event);
- on the seeds: date, place (name, country), dead, injured (and mode, sectors, reported_only)
  accuracy over the paired events, and whether each seed article is exactly right on type, actor,
  recipient, date and dead, with every mismatch;
- articles per second of extract_events on ../shared/corpus/bbc_articles.jsonl (2,225 BBC
  articles; a fresh process pinned to one CPU) and its peak RSS;
- the issue's goals, PASS/FAIL each (the exit status is 0 either way);
- the most common errors with example sentences (all of them in the JSON).

How sentences are fed and matched: see the docstring of bench/events_scoring.py (shared with the CI
gate tests/test_events_quality.py).

    make eval-events                         # or: .venv/bin/python bench/eval_events.py
    .venv/bin/python bench/eval_events.py --gold DIR --out FILE [--no-speed]
    .venv/bin/python bench/eval_events.py --update-baseline [--force]

``--update-baseline`` scores the gate data (tests/data/events_gate/) and rewrites its
baseline.json: F1 floors rounded down to 2 decimals, the no-event count as a ceiling. It only raises
floors (lowers ceilings) unless ``--force``.

Results: bench/out/eval-events.json (default ``--out``), the same tables as markdown next to it
(eval-events.md), and the tables on stdout.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import baseline  # noqa: E402
from bench.events_scoring import (  # noqa: E402
    ACLED_TO_PLOVER,
    ACLED_UNMAPPED,
    CORPUS,
    GATE_CEILINGS,
    GATE_FLOORS,
    GOLD,
    LEVELS,
    PETR2_FILE,
    REPO_SEEDS,
    GoldMissing,
    attribute_accuracy,
    case_by_label,
    error_analysis,
    gate_metrics,
    load_case,
    load_petr2,
    load_seed_gold,
    no_event_count,
    per_type,
    predict_seed_articles,
    predict_sentences,
    score,
    seed_exactness,
    seed_publication_dates,
    seeds_dir_for,
)

OUT = ROOT / "bench" / "out" / "eval-events.json"
GATE = ROOT / "tests" / "data" / "events_gate"
BASELINE = GATE / "baseline.json"
SCORE_TOOL = ROOT.parent / "shared" / "tools" / "score_events.py"
TARGET_RATE = 100.0

LEVEL_LABEL = {"type": "type", "type+actor": "type + actor", "type+actor+recipient": "type + actor + recipient"}


def _display(path: Path | str) -> str:
    try:
        return os.path.relpath(path, ROOT)
    except ValueError:
        return str(path)


def _f(v, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


# ---------------------------------------------------------------------------------------------
# The eval
# ---------------------------------------------------------------------------------------------


def run_score_tool(gold: Path, sentences, preds, out_dir: Path) -> dict:
    """../shared/tools/score_events.py itself on our PETR2 predictions (its PRED format)."""
    if not SCORE_TOOL.is_file():
        return {"available": False, "note": f"{SCORE_TOOL} not found"}
    pred_path = out_dir / "eval-events-petr2-pred.jsonl"
    with pred_path.open("w", encoding="utf-8") as f:
        for s in sentences:
            evs = [{"code": p.type, "source": [p.actor] if p.actor else [], "target": [p.recipient] if p.recipient else []}
                   for p in preds.get(s.sid, [])]
            f.write(json.dumps({"id": s.sid, "events": evs}) + "\n")
    spec = importlib.util.spec_from_file_location("score_events", SCORE_TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    res = mod.score(str(gold / PETR2_FILE), str(pred_path), "plover")
    names = {"type": "type", "type+src": "type+actor", "triple": "type+actor+recipient"}
    return {"available": True, "pred_file": _display(pred_path),
            "levels": {names[k]: {"precision": p, "recall": r, "f1": f1, "tp": tp, "fp": fp, "fn": fn}
                       for k, (p, r, f1, tp, fp, fn) in res.items()},
            "note": "the tool as is: CAMEO '---' stays '---' (matches nothing) and abc12_3 (empty text) counts as missed"}


def measure_speed_subprocess(corpus: Path, limit: int | None) -> dict:
    """measure_speed in a fresh Python process (so that its peak RSS is extraction's own)."""
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
            "from bench.events_scoring import measure_speed; "
            "print(json.dumps(measure_speed(Path(sys.argv[2]), int(sys.argv[3]) or None)))")
    env = dict(os.environ, DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    env.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
    p = subprocess.run([sys.executable, "-c", code, str(ROOT), str(corpus), str(limit or 0)],
                       capture_output=True, text=True, cwd=ROOT, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"speed run failed: {p.stderr.strip().splitlines()[-1] if p.stderr.strip() else p.returncode}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def _timed(fn, *a, **k):
    t = time.perf_counter()
    r = fn(*a, **k)
    return r, time.perf_counter() - t


def evaluate(gold: Path, seeds_dir: Path, corpus: Path, speed: bool = True, speed_limit: int | None = None,
             out_dir: Path = OUT.parent) -> dict:
    from tasks.events import EXTRACTOR_VERSION, dictionary_version

    published = seed_publication_dates()
    petr2_all = load_petr2(gold)
    petr2 = [s for s in petr2_all if s.text.strip()]
    skipped = [{"id": s.sid, "why": "empty text", "gold_events": len(s.events)} for s in petr2_all if not s.text.strip()]
    seeds = load_seed_gold(gold, published)
    case = load_case(gold)

    pp, t_petr2 = _timed(predict_sentences, petr2)
    sa, t_seed_art = _timed(predict_seed_articles, seeds, seeds_dir)
    sp, t_seed_sent = _timed(predict_sentences, seeds)
    cp, t_case = _timed(predict_sentences, case)
    case_scored = [s for s in case if s.scored]

    def both(sents, preds, unaligned=None):
        return {"set": score(sents, preds, "set", unaligned), "event": score(sents, preds, "event", unaligned)}

    def n_pred(sents, preds):
        return sum(len(preds.get(s.sid, [])) for s in sents)

    unaligned = {d: len(v) for d, v in sa.unaligned.items()}
    datasets = {
        "petr2": {"label": "PETR2 (AFP, CAMEO → PLOVER)", "fed": "each sentence alone, published = gold date",
                  "sentences": len(petr2), "gold_events": sum(len(s.events) for s in petr2),
                  "dropped_gold_events": sum(s.dropped for s in petr2), "predicted_events": n_pred(petr2, pp),
                  "skipped": skipped, "scores": both(petr2, pp), "seconds": round(t_petr2, 3)},
        "seeds_article": {"label": "seeds, whole articles", "fed": "cleaned article, one call, events aligned by offsets",
                          "sentences": len(seeds), "gold_events": sum(len(s.events) for s in seeds),
                          "predicted_events": n_pred(seeds, sa.preds) + sum(unaligned.values()),
                          "unaligned_events": unaligned, "sentences_not_found": sa.not_found,
                          "scores": both(seeds, sa.preds, sa.unaligned),
                          "seconds": round(t_seed_art, 3)},
        "seeds_sentence": {"label": "seeds, sentence by sentence", "fed": "each gold sentence alone, published = article's date",
                           "sentences": len(seeds), "gold_events": sum(len(s.events) for s in seeds),
                           "predicted_events": n_pred(seeds, sp), "scores": both(seeds, sp),
                           "seconds": round(t_seed_sent, 3)},
        "case2021": {"label": "CASE 2021 (ACLED types → PLOVER)", "fed": "each snippet alone, no date",
                     "sentences": len(case_scored), "gold_events": len(case_scored),
                     "predicted_events": n_pred(case_scored, cp), "scores": both(case_scored, cp),
                     "unmapped_snippets": len(case) - len(case_scored), "seconds": round(t_case, 3)},
    }
    no_event = {
        "petr2": no_event_count(petr2, pp),
        "seeds_article": no_event_count(seeds, sa.preds),
        "seeds_sentence": no_event_count(seeds, sp),
        "petr2_dropped_only": no_event_count(
            [type(s)(s.sid, s.text, s.published, [], True) for s in petr2 if s.dropped and not s.events], pp),
    }
    no_event_total = no_event["petr2"]["events"] + no_event["seeds_article"]["events"]

    unmapped = [s for s in case if not s.scored]
    by_label = case_by_label(case, cp)
    exact_article = seed_exactness(seeds, sa.preds, sa.unaligned)
    exact_sentence = seed_exactness(seeds, sp)

    speed_res = None
    if speed:
        try:
            speed_res = measure_speed_subprocess(corpus, speed_limit)
        except (RuntimeError, GoldMissing) as e:
            speed_res = {"error": str(e)}

    ps, sas, cs = datasets["petr2"]["scores"]["set"], datasets["seeds_article"]["scores"]["set"], datasets["case2021"]["scores"]["set"]
    goals = []

    def goal(name, value, target, ok, shown=None):
        goals.append({"goal": name, "value": value, "target": target, "pass": bool(ok), "shown": shown})

    for label, s in (("PETR2", ps), ("seeds (whole articles)", sas), ("CASE 2021", cs)):
        v = s["type"]["f1"]
        goal(f"type F1, {label}", v, "≥ 0.80", v is not None and v >= 0.80 - 1e-12)
    for label, s in (("PETR2", ps), ("seeds (whole articles)", sas)):
        v = s["type+actor+recipient"]["f1"]
        goal(f"type + actor + recipient F1, {label}", v, "≥ 0.60", v is not None and v >= 0.60 - 1e-12)
    goal("events on sentences marked as having none (PETR2 12 + seeds 2)", no_event_total, "≤ 1", no_event_total <= 1,
         f"{no_event_total} (PETR2 {no_event['petr2']['events']}, seeds {no_event['seeds_article']['events']})")
    for doc, d in exact_article.items():
        goal(f"seed {doc[:3]} exactly right (type, actor, recipient, date, dead)", d["exact"], "exact", d["exact"],
             f"{d['right']}/{d['gold_events']} gold events right, {len(d['mismatches'])} mismatches")
    if speed_res and "articles_per_s" in speed_res:
        goal("articles/s through extract_events (one core)", speed_res["articles_per_s"], f"≥ {TARGET_RATE:.0f}",
             speed_res["articles_per_s"] >= TARGET_RATE,
             f"{speed_res['articles_per_s']:.1f} (peak RSS {speed_res['peak_rss_mb']:.0f} MB)")

    def versions():
        out = {"python": platform.python_version()}
        try:
            from importlib import metadata
            out["newsflow"] = metadata.version("newsflow")
        except Exception:  # noqa: BLE001
            pass
        return out

    return {
        "generated": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), **versions()},
        "extractor_version": EXTRACTOR_VERSION, "dictionary_version": dictionary_version(),
        "gold": str(gold), "seeds_dir": str(seeds_dir), "seed_publication_dates": published,
        "scoring": ("Per sentence, tuples (type), (type, actor country), (type, actor country, recipient country); "
                    "'set' = score_events.py's sets of tuples, micro over sentences; 'event' = multisets (one-to-one "
                    "events). CAMEO '---' = no country. Seeds 'article': the cleaned article in one call, events "
                    "aligned to gold sentences by sentence offsets (unaligned events are false positives). "
                    "See bench/events_scoring.py."),
        "datasets": datasets,
        "score_events_py_petr2": run_score_tool(gold, petr2_all, pp, out_dir),
        "no_event": no_event, "no_event_total": no_event_total,
        "seeds": {"attributes_article": attribute_accuracy(seeds, sa.preds),
                  "attributes_sentence": attribute_accuracy(seeds, sp),
                  "exact_article": exact_article, "exact_sentence": exact_sentence},
        "case2021": {"mapping": ACLED_TO_PLOVER, "unmapped": ACLED_UNMAPPED, "by_label": by_label,
                     "unmapped_snippets": len(unmapped),
                     "unmapped_events": sum(len(cp.get(s.sid, [])) for s in unmapped),
                     "unmapped_snippets_with_events": sum(1 for s in unmapped if cp.get(s.sid)),
                     "per_type": per_type(case_scored, cp)},
        "petr2_per_type": per_type(petr2, pp),
        "errors": {"petr2": error_analysis(petr2, pp), "seeds_article": error_analysis(seeds, sa.preds),
                   "case2021": error_analysis(case_scored, cp, types_only=True)},
        "speed": speed_res,
        "goals": goals,
    }


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


def report(res: dict, examples: int = 2) -> str:
    ds = res["datasets"]
    out = [f"eval-events: extract_events {res['extractor_version']} (dictionaries {res['dictionary_version']}) "
           f"against {_display(res['gold'])}", ""]
    out += ["| gold set | fed as | sentences | gold events | predicted | level | P | R | F1 | tp / fp / fn | F1, one-to-one events |",
            "|---|---|---:|---:|---:|---|---:|---:|---:|---|---:|"]
    for key in ("petr2", "seeds_article", "seeds_sentence", "case2021"):
        d = ds[key]
        levels = ("type",) if key == "case2021" else LEVELS
        for n, level in enumerate(levels):
            s, e = d["scores"]["set"][level], d["scores"]["event"][level]
            head = (f"| {d['label']} | {d['fed']} | {d['sentences']} | {d['gold_events']} | {d['predicted_events']} "
                    if n == 0 else "| | | | | ")
            out.append(f"{head}| {LEVEL_LABEL[level]} | {_f(s['precision'])} | {_f(s['recall'])} | {_f(s['f1'])} "
                       f"| {s['tp']} / {s['fp']} / {s['fn']} | {_f(e['f1'])} |")
    tool = res["score_events_py_petr2"]
    if tool.get("available"):
        out += ["", "PETR2 through ../shared/tools/score_events.py itself (" + tool["note"] + "): " + "; ".join(
            f"{LEVEL_LABEL[k]} F1 {_f(v['f1'])} (P {_f(v['precision'])}, R {_f(v['recall'])})" for k, v in tool["levels"].items())]
    sk = ds["petr2"]["skipped"]
    if sk:
        out.append("PETR2 skipped: " + ", ".join(f"{x['id']} ({x['why']})" for x in sk)
                   + f"; {ds['petr2']['dropped_gold_events']} gold events PLOVER drops are not scored.")
    if any(ds["seeds_article"]["unaligned_events"].values()) or ds["seeds_article"]["sentences_not_found"]:
        out.append(f"seeds: events on no gold sentence {ds['seeds_article']['unaligned_events']}; gold sentences "
                   f"not found in the cleaned text: {ds['seeds_article']['sentences_not_found'] or 'none'}")

    ne = res["no_event"]
    out += ["", "| sentences marked as having none | sentences | with events | events coded |", "|---|---:|---:|---:|"]
    for key, label in (("petr2", "PETR2 no_events_expected"), ("seeds_article", "seeds, no events (whole articles)"),
                       ("seeds_sentence", "seeds, no events (sentence by sentence)"),
                       ("petr2_dropped_only", "PETR2, only events PLOVER drops (not a goal)")):
        d = ne[key]
        out.append(f"| {label} | {d['sentences']} | {d['sentences_with_events']} | {d['events']} |")

    sd = res["seeds"]
    out += ["", "Seeds: attributes over the paired events (same type, paired one to one; None = None counts as right)", "",
            "| attribute | whole articles: right / paired | accuracy | where gold has a value | sentence by sentence: accuracy |",
            "|---|---:|---:|---:|---:|"]
    aa, asent = sd["attributes_article"], sd["attributes_sentence"]
    for a, d in aa["attributes"].items():
        out.append(f"| {a.replace('_', ' ')} | {d['right']} / {d['n']} | {_f(d['accuracy'])} | "
                   f"{d['with_value_right']} / {d['with_value']} ({_f(d['accuracy_with_value'])}) | "
                   f"{_f(asent['attributes'][a]['accuracy'])} |")
    out.append(f"(whole articles: {aa['paired']} of {aa['gold_events']} gold events paired; sentence by sentence: "
               f"{asent['paired']})")
    out += ["", "Seeds exactly right on type, actor, recipient, date and dead (whole articles):"]
    for doc, d in sd["exact_article"].items():
        out.append(f"  {doc}: {'YES' if d['exact'] else 'NO'}: {d['right']}/{d['gold_events']} gold events right, "
                   f"{len(d['mismatches'])} mismatches")
        for m in d["mismatches"]:
            s = "–" if m["sentence"] is None else m["sentence"]
            out.append(f"    s{s:<3} {m['kind']:<24} gold {m['gold'] or '–'}  |  predicted {m['predicted'] or '–'}")

    c = res["case2021"]
    out += ["", f"CASE 2021 per ACLED type ({c['unmapped_snippets']} snippets of unmapped types left out of P/R/F1: "
                f"{c['unmapped_events']} events coded on {c['unmapped_snippets_with_events']} of them)", "",
            "| ACLED type | PLOVER | snippets | recall | with any event | most predicted types |", "|---|---|---:|---:|---:|---|"]
    for label, d in c["by_label"].items():
        pt = ", ".join(f"{k} {v}" for k, v in d["predicted"].items()) or "–"
        out.append(f"| {label} | {d['plover'] or 'unmapped'} | {d['snippets']} | {_f(d['recall'], 2)} | {d['with_events']} | {pt} |")

    out += ["", "PETR2 per type (set counting)", "", "| type | gold | tp | fp | fn | F1 |", "|---|---:|---:|---:|---:|---:|"]
    for t, d in res["petr2_per_type"].items():
        out.append(f"| {t} | {d['gold']} | {d['tp']} | {d['fp']} | {d['fn']} | {_f(d['f1'], 2)} |")

    sp = res["speed"]
    if sp and "articles_per_s" in sp:
        out += ["", "| speed (extract_events, fresh process, one CPU) | value |", "|---|---:|",
                f"| articles | {sp['articles']:,} ({sp['characters'] / sp['articles']:,.0f} characters each) |",
                f"| articles/s (wall) | {sp['articles_per_s']:.1f} |",
                f"| articles per CPU second | {sp['articles_per_cpu_s']:.1f} |",
                f"| ms per article | {sp['ms_per_article']:.2f} |",
                f"| events extracted | {sp['events']:,} |",
                f"| lexicon load (once) | {sp['lexicon_load_seconds']:.2f} s |",
                f"| RSS before extraction / peak RSS | {sp['rss_before_extraction_mb']:.0f} MB / {sp['peak_rss_mb']:.0f} MB |",
                f"| load average before | {', '.join(f'{x:.2f}' for x in sp['loadavg_before'] or [])} |"]
    elif sp:
        out += ["", f"speed: {sp.get('error')}"]

    out += ["", "| goal | value | target | result |", "|---|---:|---|---|"]
    for g in res["goals"]:
        v = g["shown"] if g["shown"] is not None else (_f(g["value"]) if isinstance(g["value"], float) else g["value"])
        out.append(f"| {g['goal']} | {v} | {g['target']} | {'PASS' if g['pass'] else 'FAIL'} |")

    if examples:
        out += ["", "Most common errors (sentence level; all examples in the JSON):"]
        for key, label in (("petr2", "PETR2"), ("seeds_article", "seeds"), ("case2021", "CASE 2021")):
            e = res["errors"][key]
            out.append(f"  {label}: " + ", ".join(f"{k.replace('_', ' ')} {e[k]['count']}" for k in
                                                  ("missed_type", "wrong_type", "spurious_type", "wrong_actor",
                                                   "wrong_recipient", "no_event")))
            if e["type_confusions"]:
                out.append("    type confusions (gold → predicted): " + ", ".join(
                    f"{x['gold']}→{x['predicted']} {x['sentences']}" for x in e["type_confusions"][:8]))
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# The CI gate's floors
# ---------------------------------------------------------------------------------------------


def gate_scores() -> dict:
    """The gate metrics on tests/data/events_gate (exactly what tests/test_events_quality.py measures)."""
    return gate_metrics(GATE, REPO_SEEDS, seed_publication_dates())


def update_baseline(force: bool) -> int:
    measured = gate_scores()
    old = baseline.read(BASELINE)
    floors, changes, worse = baseline.tighten(measured, old.get("floors", {}), GATE_FLOORS, force)
    ceilings, more, worse2 = baseline.tighten(measured, old.get("ceilings", {}), GATE_CEILINGS, force, ceiling=True)
    changes, worse = changes + more, worse or worse2
    doc = {
        "about": "Floors and ceilings for tests/test_events_quality.py: tasks.events on the gold copies in this folder "
                 "(PETR2 sentence by sentence, the two seed articles whole), F1s rounded down to 2 decimals, the "
                 "no-event count as measured. Raise a floor (lower a ceiling) whenever you improve the extractor: "
                 "`.venv/bin/python bench/eval_events.py --update-baseline`.",
        "metrics": {"petr2_type_f1": "PETR2, type F1 (score_events.py's set counting)",
                    "petr2_triple_f1": "PETR2, type + actor country + recipient country F1",
                    "seeds_type_f1": "seed gold, whole articles, type F1",
                    "seeds_triple_f1": "seed gold, whole articles, type + actor + recipient F1",
                    "no_event_events": "events coded on the sentences marked as having none (PETR2 "
                                       "no_events_expected + seed rows with no events): a ceiling"},
        "floors": floors,
        "ceilings": ceilings,
        "measured": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in measured.items()},
    }
    baseline.write(BASELINE, doc, changes, _display(BASELINE))
    return 1 if worse else 0


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Feeding and matching rules: bench/events_scoring.py. Exit status 0 whatever the goals say; "
               "2 if the gold is missing.")
    ap.add_argument("--gold", type=Path, default=GOLD,
                    help=f"events gold folder (default: {_display(GOLD)})")
    ap.add_argument("--seeds", type=Path, default=None,
                    help="folder with the seed article texts (default: <gold>/../../seeds, else the repo's seeds/)")
    ap.add_argument("--corpus", type=Path, default=CORPUS,
                    help=f"JSONL corpus for the speed run (default: {_display(CORPUS)})")
    ap.add_argument("--out", type=Path, default=OUT, help=f"JSON results (default: {_display(OUT)}); "
                                                          "the markdown tables go next to it (.md)")
    ap.add_argument("--no-speed", action="store_true", help="skip the speed run on the corpus")
    ap.add_argument("--speed-limit", type=int, default=None, help="speed run on the first N articles only")
    ap.add_argument("--update-baseline", action="store_true",
                    help="score the gate data (tests/data/events_gate) and rewrite its baseline.json "
                         "(raise floors, lower ceilings only)")
    ap.add_argument("--force", action="store_true", help="with --update-baseline: also make the gate looser")
    args = ap.parse_args(argv)
    if args.force and not args.update_baseline:
        ap.error("--force only goes with --update-baseline")
    try:
        if args.update_baseline:
            return update_baseline(args.force)
        gold = args.gold.resolve()
        seeds_dir = (args.seeds or seeds_dir_for(gold)).resolve()
        out = args.out.resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        res = evaluate(gold, seeds_dir, args.corpus.resolve(), speed=not args.no_speed,
                       speed_limit=args.speed_limit, out_dir=out.parent)
    except (GoldMissing, ValueError) as e:
        print(f"eval-events: {e}", file=sys.stderr)
        return 2
    out.write_text(json.dumps(res, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    md = report(res)
    out.with_suffix(".md").write_text(md + "\n", encoding="utf-8")
    print(md)
    print(f"\nwrote {_display(out)} and {_display(out.with_suffix('.md'))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
