"""How dedup is scored: shared by ``bench/eval_dedup.py`` and ``tests/test_dedup_quality.py``.

Both import everything from here (loading the gold, turning gold rows into ``Article``s, running
``tasks.dedup.dedup_batch``, building groups and scoring the labelled pairs), so the eval and the
CI gate cannot drift apart.

The gold is ``../shared/gold/dedup`` (the gate subset in ``tests/data/dedup_gate/`` has the same
layout): ``articles.jsonl`` (one row per article: ``id``, ``cluster_id``, ``perturbation``, ``url``,
``title``, ``text``, ``site``, ``published``, ...) and ``pairs.jsonl`` (labelled pairs: ``id1``,
``id2``, ``label`` ``exact_dup`` / ``near_dup`` / ``not_dup``, ``perturbation1``/``perturbation2``,
``neg_type`` for the negatives). Each cluster is an ``original`` and three variants, one change
each (``KINDS``).

Scoring:

- every gold article becomes an ``Article`` and the whole set goes through one
  ``dedup_batch`` call on an empty ``MemoryIndex``, in arrival order (``published``, then ``id``);
- each article belongs to the group of its root original (``duplicate_of`` followed to the end);
  a pair is *predicted* duplicate iff its two articles are in the same group;
- a pair is *gold* duplicate iff its label is ``exact_dup`` or ``near_dup``;
- the change kinds of a positive pair are the perturbations of its non-original members: one
  kind for an ``original|truncation`` pair, two for a variant-to-variant pair such as
  ``truncation|update`` (about half the positives), which then counts for both kinds. Per kind we
  report recall over every positive pair with that change (``recall``, the headline figure) and
  over the pairs with the original only (``recall_vs_original``), and precision over the
  predicted-duplicate pairs with an article of that kind (true positives with the change, plus
  false positives where either article has that perturbation);
- false positives on the negatives are counted per ``neg_type``.
"""

from __future__ import annotations

from bench.baseline import floor2, prf  # noqa: F401 - re-exported for the gate tests

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from tasks.dedup import MemoryIndex, containment, dedup_batch, fingerprint, shingles
from tasks.records import Article, DedupDecision

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
GOLD = SHARED / "gold" / "dedup"

#: The changes a variant carries (``perturbation``), in the gold README's order.
KINDS = ("url_variant", "boilerplate", "headline_dateline", "truncation", "update", "copyedit")
ORIGINAL = "original"
POSITIVE_LABELS = frozenset({"exact_dup", "near_dup"})
NEGATIVE_LABEL = "not_dup"
#: ``neg_type`` of the negative pairs, hard ones first.
NEG_KINDS = ("same_category_similar", "same_site_boilerplate", "same_category_random", "cross_category_random")
#: What tests/test_dedup_quality.py holds to a floor.
GATE_METRICS = ("precision", "recall", "f1", "recall_truncation", "recall_update")


class GoldMissing(FileNotFoundError):
    """The gold folder (or one of its two files) is not there."""


@dataclass(frozen=True)
class Pair:
    """One labelled pair of the gold."""

    pair_id: str
    id1: str
    id2: str
    label: str  # exact_dup | near_dup | not_dup
    perturbation1: str
    perturbation2: str
    neg_type: str | None = None  # negatives only

    @property
    def positive(self) -> bool:
        return self.label in POSITIVE_LABELS

    @property
    def kinds(self) -> tuple[str, ...]:
        """The changes the pair spans: its members' perturbations other than ``original``, sorted, unique."""
        return tuple(sorted({p for p in (self.perturbation1, self.perturbation2) if p != ORIGINAL}))

    @property
    def with_original(self) -> bool:
        return ORIGINAL in (self.perturbation1, self.perturbation2)

    @staticmethod
    def from_json(d: Mapping) -> "Pair":
        return Pair(d["pair_id"], d["id1"], d["id2"], d["label"], d["perturbation1"], d["perturbation2"],
                    d.get("neg_type"))


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_gold(folder: Path = GOLD) -> tuple[list[dict], list[Pair]]:
    """The article rows and the labelled pairs of a gold folder (``articles.jsonl``, ``pairs.jsonl``).

    Raises ``GoldMissing`` (with what to do) when the folder or a file is absent, and ``ValueError``
    when a pair names an article that is not in the folder.
    """
    folder = Path(folder)
    missing = [n for n in ("articles.jsonl", "pairs.jsonl") if not (folder / n).is_file()]
    if missing:
        raise GoldMissing(
            f"dedup gold not found: {folder} has no {' or '.join(missing)}. The eval reads the shared "
            f"benchmark ../shared/gold/dedup (next to the repository, not committed here); pass --gold DIR "
            f"to point at another copy.")
    rows = read_jsonl(folder / "articles.jsonl")
    pairs = [Pair.from_json(d) for d in read_jsonl(folder / "pairs.jsonl")]
    ids = {r["id"] for r in rows}
    unknown = sorted({i for p in pairs for i in (p.id1, p.id2) if i not in ids})
    if unknown:
        raise ValueError(f"{folder}/pairs.jsonl names {len(unknown)} article(s) not in articles.jsonl, "
                         f"e.g. {unknown[:3]}")
    return rows, pairs


def to_article(row: Mapping) -> Article:
    """A gold row as the ``Article`` the pipeline would hand to dedup (the page's URL, no canonical link)."""
    return Article(
        article_id=row["id"], raw_id=row["id"], source=row.get("site") or "gold", url=row.get("url"),
        canonical_url=None, title=row.get("title"), authors=(), published=row.get("published"),
        published_source="source" if row.get("published") else None, language=None,
        site_name=row.get("site"), text=row.get("text") or "",
    )


def _arrival_key(row: Mapping) -> tuple:
    """(published as UTC, id); a naive time is read as UTC, an undated or unreadable one sorts last."""
    published = row.get("published")
    try:
        dt = datetime.fromisoformat(str(published).replace("Z", "+00:00"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        return (0, dt.timestamp(), "", row["id"])
    except ValueError:
        return (1, 0.0, str(published or ""), row["id"])


def arrival_order(rows: Iterable[Mapping]) -> list[Mapping]:
    """Rows sorted by (published, id): the order dedup sees them in."""
    return sorted(rows, key=_arrival_key)


# ---------------------------------------------------------------------------------------------
# Predicting
# ---------------------------------------------------------------------------------------------


def groups_from_decisions(decisions: Iterable[DedupDecision]) -> dict[str, str]:
    """article_id -> the root original of its group (itself when it is not a duplicate).

    ``duplicate_of`` is followed to the end (dedup_batch already names the original, but a chain
    would be followed too; a cycle stops where it closes).
    """
    parent = {d.article_id: d.duplicate_of for d in decisions}
    roots: dict[str, str] = {}
    for aid in parent:
        seen = [aid]
        cur = aid
        while parent.get(cur) and parent[cur] not in seen:
            cur = parent[cur]
            seen.append(cur)
        roots[aid] = cur
    return roots


@dataclass
class Run:
    """One dedup_batch run over a set of articles."""

    groups: dict[str, str]  # article_id -> root original
    decisions: dict[str, DedupDecision]
    seconds: float  # the dedup_batch call alone
    order: list[str] = field(default_factory=list)  # article ids in arrival order

    @property
    def articles_per_s(self) -> float:
        return len(self.order) / self.seconds if self.seconds > 0 else float("inf")


def predict(rows: Sequence[Mapping], threshold: float, k: int) -> Run:
    """Run ``dedup_batch`` over every row (arrival order, empty ``MemoryIndex``) and group the result."""
    articles = [to_article(r) for r in arrival_order(rows)]
    started = time.perf_counter()
    decisions, _ = dedup_batch(articles, MemoryIndex(), threshold=threshold, k=k)
    seconds = time.perf_counter() - started
    return Run(groups_from_decisions(decisions), {d.article_id: d for d in decisions}, seconds,
               [a.article_id for a in articles])


def same_group(groups: Mapping[str, str], a: str, b: str) -> bool:
    """Predicted duplicate: both articles in the same group (an article missing from ``groups`` is alone)."""
    return groups.get(a, a) == groups.get(b, b)


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------




def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


def score_pairs(pairs: Sequence[Pair], groups: Mapping[str, str]) -> dict:
    """Pair-level scores of a grouping against the gold pairs.

    Returns ``overall`` (tp, fp, fn, tn, precision, recall, f1), ``by_kind`` (per change kind:
    ``n``, ``tp``, ``recall``, ``n_vs_original``, ``tp_vs_original``, ``recall_vs_original``,
    ``fp`` (false positives with an article of that perturbation), ``precision``), ``by_pair_kinds``
    (positives per ``a|b`` perturbation pair: n, tp, recall), ``negatives`` (per ``neg_type``:
    n, fp, fp_rate), ``missed`` and ``false_positives`` (the Pair objects, in input order).
    """
    tp = fp = fn = tn = 0
    kind = {k: Counter() for k in KINDS}
    combos: dict[str, Counter] = {}
    negs: dict[str, Counter] = {}
    missed: list[Pair] = []
    false_pos: list[Pair] = []
    for p in pairs:
        pred = same_group(groups, p.id1, p.id2)
        if p.positive:
            tp += pred
            fn += not pred
            if not pred:
                missed.append(p)
            for kd in p.kinds:
                c = kind.setdefault(kd, Counter())
                c["n"] += 1
                c["tp"] += pred
                if p.with_original:
                    c["n_vs_original"] += 1
                    c["tp_vs_original"] += pred
            combo = "|".join(sorted((p.perturbation1, p.perturbation2)))
            cc = combos.setdefault(combo, Counter())
            cc["n"] += 1
            cc["tp"] += pred
        else:
            fp += pred
            tn += not pred
            nk = p.neg_type or "unspecified"
            nc = negs.setdefault(nk, Counter())
            nc["n"] += 1
            nc["fp"] += pred
            if pred:
                false_pos.append(p)
                for pert in {p.perturbation1, p.perturbation2} - {ORIGINAL}:
                    kind.setdefault(pert, Counter())["fp"] += 1
    P, R, F = prf(tp, fp, fn)
    by_kind = {}
    for kd, c in kind.items():
        by_kind[kd] = {
            "n": c["n"], "tp": c["tp"], "recall": _rate(c["tp"], c["n"]),
            "n_vs_original": c["n_vs_original"], "tp_vs_original": c["tp_vs_original"],
            "recall_vs_original": _rate(c["tp_vs_original"], c["n_vs_original"]),
            "fp": c["fp"], "precision": _rate(c["tp"], c["tp"] + c["fp"]),
        }
    neg_order = [k for k in NEG_KINDS if k in negs] + sorted(k for k in negs if k not in NEG_KINDS)
    return {
        "overall": {"pairs": len(pairs), "positives": tp + fn, "negatives": fp + tn,
                    "tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": P, "recall": R, "f1": F},
        "by_kind": by_kind,
        "by_pair_kinds": {k: {"n": c["n"], "tp": c["tp"], "recall": _rate(c["tp"], c["n"])}
                          for k, c in sorted(combos.items())},
        "negatives": {k: {"n": negs[k]["n"], "fp": negs[k]["fp"], "fp_rate": _rate(negs[k]["fp"], negs[k]["n"])}
                      for k in neg_order},
        "missed": missed,
        "false_positives": false_pos,
    }


def gate_metrics(scores: Mapping) -> dict[str, float]:
    """The figures the CI gate holds to floors (``GATE_METRICS``); a metric with no pairs is left out."""
    o, bk = scores["overall"], scores["by_kind"]
    out = {"precision": o["precision"], "recall": o["recall"], "f1": o["f1"],
           "recall_truncation": bk.get("truncation", {}).get("recall"),
           "recall_update": bk.get("update", {}).get("recall")}
    return {k: v for k, v in out.items() if v is not None}


def jaccard(a: str, b: str, k: int) -> float:
    """Jaccard similarity of the two texts' k-shingle sets (what LSH banding approximates)."""
    sa, sb = shingles(a, k), shingles(b, k)
    union = np.union1d(sa, sb).size
    return np.intersect1d(sa, sb, assume_unique=True).size / union if union else 0.0


def explain_errors(pairs: Iterable[Pair], rows_by_id: Mapping[str, Mapping], run: Run, k: int) -> list[dict]:
    """One JSON-able line per pair: ids, label, kinds, containment, Jaccard, shared LSH band keys, both decisions."""
    out = []
    for p in pairs:
        a, b = rows_by_id[p.id1], rows_by_id[p.id2]
        entry = {
            "pair_id": p.pair_id, "id1": p.id1, "id2": p.id2, "label": p.label,
            "kind": "|".join(p.kinds) if p.positive else p.neg_type,
            "perturbations": f"{p.perturbation1}|{p.perturbation2}",
            "containment": round(containment(a.get("text") or "", b.get("text") or "", k), 4),
            "jaccard": round(jaccard(a.get("text") or "", b.get("text") or "", k), 4),
            # LSH: how many of the 64 band keys the two share (0 = never even compared)
            "shared_band_keys": len(set(fingerprint(to_article(a), k).band_keys)
                                    & set(fingerprint(to_article(b), k).band_keys)),
            "words": [len((a.get("text") or "").split()), len((b.get("text") or "").split())],
        }
        for side, aid in (("decision1", p.id1), ("decision2", p.id2)):
            d = run.decisions.get(aid)
            entry[side] = None if d is None else {"duplicate_of": d.duplicate_of, "reason": d.reason, "score": d.score}
        entry["groups"] = [run.groups.get(p.id1, p.id1), run.groups.get(p.id2, p.id2)]
        out.append(entry)
    return out


def reasons_by_perturbation(rows: Iterable[Mapping], decisions: Mapping[str, DedupDecision]) -> dict[str, dict[str, int]]:
    """How each perturbation's articles were decided: counts of new / url / exact / near."""
    out: dict[str, Counter] = {}
    for r in rows:
        d = decisions.get(r["id"])
        out.setdefault(r.get("perturbation") or "?", Counter())[(d.reason if d else None) or "new"] += 1
    order = [ORIGINAL, *KINDS]
    keys = [k for k in order if k in out] + sorted(k for k in out if k not in order)
    return {k: {r: out[k].get(r, 0) for r in ("new", "url", "version", "exact", "near")} for k in keys}


# ---------------------------------------------------------------------------------------------
# The gate subset
# ---------------------------------------------------------------------------------------------


def select_gate_clusters(rows: Sequence[Mapping], pairs: Sequence[Pair], n: int = 60,
                         must: Iterable[str] = ()) -> list[str]:
    """A deterministic choice of ``n`` clusters for the CI gate, sorted.

    First the clusters in ``must``, in the order given (the eval passes those of its missed
    positives and false positives, and of the hardest pairs); then, one at a time, the cluster
    that adds the most negative pairs inside the sample, hard negatives (same-category similar,
    same-site boilerplate) counting double; ties go to the smaller cluster id.
    """
    cluster_of = {r["id"]: r["cluster_id"] for r in rows}
    all_clusters = sorted(set(cluster_of.values()))
    n = min(n, len(all_clusters))
    chosen: list[str] = []
    for c in must:
        if c in cluster_of.values() and c not in chosen and len(chosen) < n:
            chosen.append(c)
    negs = [p for p in pairs if not p.positive]
    while len(chosen) < n:
        inside = set(chosen)
        gain: Counter = Counter()
        for p in negs:
            c1, c2 = cluster_of[p.id1], cluster_of[p.id2]
            weight = 2 if p.neg_type in NEG_KINDS[:2] else 1
            if c1 in inside and c2 not in inside:
                gain[c2] += weight
            elif c2 in inside and c1 not in inside:
                gain[c1] += weight
        chosen.append(min((c for c in all_clusters if c not in inside), key=lambda c: (-gain[c], c)))
    return sorted(chosen)


