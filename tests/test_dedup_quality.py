"""Quality gate for tasks.dedup: its pair scores on a fixed subset of the gold must not drop below the floors.

Data in tests/data/dedup_gate/ (60 clusters of ../shared/gold/dedup: 240 articles, every labelled
pair between them; provenance in its README.md). The floors are tests/data/dedup_gate/baseline.json:
each metric as measured, rounded down to 2 decimals. Raise a floor whenever you raise the score:

    .venv/bin/python bench/eval_dedup.py --update-baseline

The scoring is bench/dedup_scoring.py, the same code `make eval-dedup` uses, so the gate and the
eval cannot drift apart. The unit tests below pin the scoring functions themselves.
"""

import json
import time
from pathlib import Path

import pytest

from bench.dedup_scoring import (
    GATE_METRICS,
    KINDS,
    GoldMissing,
    Pair,
    arrival_order,
    floor2,
    gate_metrics,
    groups_from_decisions,
    load_gold,
    predict,
    prf,
    reasons_by_perturbation,
    same_group,
    score_pairs,
    select_gate_clusters,
    to_article,
)
from tasks.records import DedupDecision
from tasks.settings import Settings
from tests.conftest import DATA

GATE = DATA / "dedup_gate"
BASELINE = GATE / "baseline.json"


# ---------------------------------------------------------------------------------------------
# The gate
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gate():
    return load_gold(GATE)


@pytest.fixture(scope="module")
def measured(gate) -> dict[str, float]:
    rows, pairs = gate
    s = Settings()
    started = time.perf_counter()
    run = predict(rows, s.near_dup_threshold, s.shingle_size)
    scores = score_pairs(pairs, run.groups)
    took = time.perf_counter() - started
    assert took < 10, f"the dedup quality gate should take well under 10 s; it took {took:.1f} s"
    return gate_metrics(scores)


def test_gate_subset_is_complete(gate):
    rows, pairs = gate
    clusters = {r["cluster_id"] for r in rows}
    assert len(clusters) == 60 and len(rows) == 240
    for c in clusters:  # each cluster whole: the original and its three variants
        perts = sorted(r["perturbation"] for r in rows if r["cluster_id"] == c)
        assert len(perts) == 4 and perts.count("original") == 1, (c, perts)
    assert sum(p.positive for p in pairs) == 6 * 60  # every within-cluster pair is labelled
    kinds = {k for p in pairs if p.positive for k in p.kinds}
    assert kinds == set(KINDS)
    negs = {p.neg_type for p in pairs if not p.positive}
    assert {"same_category_similar", "same_site_boilerplate"} <= negs


def test_gate_data_stays_small():
    size = sum(f.stat().st_size for f in GATE.iterdir() if f.is_file())
    assert size < 1_000_000, f"tests/data/dedup_gate is {size} bytes; keep it under 1 MB"


def test_baseline_has_a_floor_for_every_metric():
    floors = json.loads(BASELINE.read_text(encoding="utf-8"))["floors"]
    assert set(floors) == set(GATE_METRICS)
    for k, v in floors.items():
        assert 0 <= v <= 1 and round(v, 2) == v, f"floor {k}={v} should be a rate with 2 decimals"


@pytest.mark.parametrize("metric", GATE_METRICS)
def test_dedup_quality_does_not_drop(measured, metric):
    floor = json.loads(BASELINE.read_text(encoding="utf-8"))["floors"][metric]
    value = measured.get(metric)
    assert value is not None, f"{metric}: no value measured on the gate subset"
    assert value + 1e-9 >= floor, (
        f"dedup quality dropped: {metric} = {value:.4f} on tests/data/dedup_gate, below its floor {floor:.2f} "
        f"(tests/data/dedup_gate/baseline.json). Run `make eval-dedup` to see which pairs it gets wrong."
    )


# ---------------------------------------------------------------------------------------------
# The scoring functions
# ---------------------------------------------------------------------------------------------


def pair(id1, id2, label, p1, p2, neg_type=None, pid=None) -> Pair:
    return Pair(pid or f"{id1}~{id2}", id1, id2, label, p1, p2, neg_type)


def test_same_group_is_a_true_positive_other_groups_a_false_negative():
    groups = {"a-o": "a-o", "a-t": "a-o", "a-u": "a-o", "b-o": "b-o", "b-t": "b-t"}
    pairs = [
        pair("a-o", "a-t", "near_dup", "original", "truncation"),  # same group: TP
        pair("a-t", "a-u", "near_dup", "truncation", "update"),  # both joined a-o: TP
        pair("b-o", "b-t", "near_dup", "original", "truncation"),  # not joined: FN
    ]
    s = score_pairs(pairs, groups)
    o = s["overall"]
    assert (o["tp"], o["fp"], o["fn"], o["tn"]) == (2, 0, 1, 0)
    assert o["precision"] == 1.0 and o["recall"] == pytest.approx(2 / 3) and o["f1"] == pytest.approx(0.8)
    assert [p.pair_id for p in s["missed"]] == ["b-o~b-t"] and s["false_positives"] == []


def test_negative_in_one_group_is_a_false_positive_counted_by_neg_type():
    groups = {"a": "a", "b": "a", "c": "c", "d": "e"}
    pairs = [
        pair("a", "b", "not_dup", "original", "boilerplate", "same_category_similar"),  # FP
        pair("a", "c", "not_dup", "original", "original", "same_category_similar"),  # TN
        pair("c", "d", "not_dup", "boilerplate", "boilerplate", "same_site_boilerplate"),  # TN
    ]
    s = score_pairs(pairs, groups)
    assert (s["overall"]["fp"], s["overall"]["tn"], s["overall"]["tp"]) == (1, 2, 0)
    assert s["overall"]["precision"] == 0.0 and s["overall"]["recall"] is None and s["overall"]["f1"] is None
    assert s["negatives"] == {
        "same_category_similar": {"n": 2, "fp": 1, "fp_rate": 0.5},
        "same_site_boilerplate": {"n": 1, "fp": 0, "fp_rate": 0.0},
    }
    assert [p.pair_id for p in s["false_positives"]] == ["a~b"]
    assert s["by_kind"]["boilerplate"]["fp"] == 1  # the FP's non-original perturbation


def test_kinds_of_a_pair_and_per_kind_recall():
    assert pair("x", "y", "near_dup", "original", "truncation").kinds == ("truncation",)
    assert pair("x", "y", "near_dup", "update", "truncation").kinds == ("truncation", "update")
    assert pair("x", "y", "exact_dup", "copyedit", "copyedit").kinds == ("copyedit",)
    groups = {"o": "o", "t": "o", "u": "o", "c": "c"}
    pairs = [
        pair("o", "t", "near_dup", "original", "truncation"),
        pair("o", "u", "near_dup", "original", "update"),
        pair("t", "u", "near_dup", "truncation", "update"),
        pair("o", "c", "exact_dup", "original", "copyedit"),
        pair("t", "c", "near_dup", "truncation", "copyedit"),
    ]
    bk = score_pairs(pairs, groups)["by_kind"]
    assert (bk["truncation"]["n"], bk["truncation"]["tp"]) == (3, 2)  # o~t, t~u hit; t~c missed
    assert (bk["truncation"]["n_vs_original"], bk["truncation"]["recall_vs_original"]) == (1, 1.0)
    assert bk["update"]["recall"] == 1.0
    assert (bk["copyedit"]["n"], bk["copyedit"]["recall"]) == (2, 0.0)
    assert bk["boilerplate"]["n"] == 0 and bk["boilerplate"]["recall"] is None
    assert score_pairs(pairs, groups)["by_pair_kinds"]["copyedit|truncation"] == {"n": 1, "tp": 0, "recall": 0.0}


def test_groups_follow_duplicate_of_to_the_root():
    decisions = [
        DedupDecision("a", None, None),
        DedupDecision("b", "a", "url"),
        DedupDecision("c", "b", "near", 0.9),  # a chain: c -> b -> a
        DedupDecision("d", None, None),
        DedupDecision("x", "y", "near", 0.9),  # a cycle does not hang
        DedupDecision("y", "x", "near", 0.9),
    ]
    g = groups_from_decisions(decisions)
    assert g["a"] == g["b"] == g["c"] == "a" and g["d"] == "d"
    assert g["x"] in ("x", "y") and g["y"] in ("x", "y")
    assert same_group(g, "a", "c") and not same_group(g, "a", "d")
    assert not same_group(g, "a", "unknown")  # an article with no decision is alone


def test_prf_and_floor2():
    assert prf(0, 0, 0) == (None, None, None)
    assert prf(0, 1, 1) == (0.0, 0.0, 0.0)
    assert prf(3, 1, 0) == (0.75, 1.0, pytest.approx(6 / 7))
    assert floor2(0.57) == 0.57 and floor2(0.9999) == 0.99 and floor2(1.0) == 1.0


def row(aid, cluster, pert, text, published, url=None, title="T", site="www.bbc.co.uk"):
    return {"id": aid, "cluster_id": cluster, "perturbation": pert, "text": text, "published": published,
            "url": url, "title": title, "site": site}


def test_articles_arrive_by_published_then_id_and_keep_gold_fields():
    rows = [row("b", "c1", "original", "x", "2005-01-01T10:00:00Z"),
            row("a", "c1", "update", "x", "2005-01-01T10:00:00Z"),
            row("c", "c1", "copyedit", "x", "2005-01-01T09:00:00+00:00"),
            row("d", "c1", "truncation", "x", None)]
    assert [r["id"] for r in arrival_order(rows)] == ["c", "a", "b", "d"]
    art = to_article(row("syn1-original", "syn1", "original", "Body.", "2005-01-01T10:00:00Z",
                         url="https://www.bbc.co.uk/news/1", title="Headline"))
    assert (art.article_id, art.source, art.url, art.canonical_url, art.title, art.text, art.published) == (
        "syn1-original", "www.bbc.co.uk", "https://www.bbc.co.uk/news/1", None, "Headline", "Body.",
        "2005-01-01T10:00:00Z")


def test_predict_end_to_end_on_a_tiny_gold():
    text = " ".join(f"word{i} said the minister on tuesday" for i in range(60))
    other = " ".join(f"token{i} reported a reporter in london" for i in range(60))
    rows = [
        row("s1-original", "s1", "original", text, "2005-01-01T10:00:00Z", url="https://www.bbc.co.uk/news/1"),
        row("s1-url_variant", "s1", "url_variant", text, "2005-01-01T10:00:00Z",
            url="http://bbc.co.uk/news/1/?utm_source=x"),
        row("s1-truncation", "s1", "truncation", text[: len(text) // 2], "2005-01-01T12:00:00Z",
            url="https://partner.example/a", site="partner.example"),
        row("s2-original", "s2", "original", other, "2005-01-01T11:00:00Z", url="https://www.bbc.co.uk/news/2"),
    ]
    run = predict(rows, 0.8, 3)
    assert run.order == ["s1-original", "s1-url_variant", "s2-original", "s1-truncation"]
    assert run.decisions["s1-url_variant"].reason == "url"
    assert run.decisions["s1-truncation"].reason == "near"
    assert run.groups["s1-truncation"] == "s1-original" and run.groups["s2-original"] == "s2-original"
    pairs = [pair("s1-original", "s1-truncation", "near_dup", "original", "truncation"),
             pair("s1-original", "s2-original", "not_dup", "original", "original", "same_category_similar")]
    assert gate_metrics(score_pairs(pairs, run.groups)) == {
        "precision": 1.0, "recall": 1.0, "f1": 1.0, "recall_truncation": 1.0}
    assert reasons_by_perturbation(rows, run.decisions)["truncation"] == {"new": 0, "url": 0, "version": 0, "exact": 0, "near": 1}


def test_missing_gold_is_a_clear_error(tmp_path: Path):
    with pytest.raises(GoldMissing, match="dedup gold not found.*articles.jsonl or pairs.jsonl"):
        load_gold(tmp_path)
    (tmp_path / "articles.jsonl").write_text(json.dumps(row("a", "c", "original", "x", None)) + "\n")
    (tmp_path / "pairs.jsonl").write_text(json.dumps({
        "pair_id": "p", "id1": "a", "id2": "zzz", "label": "not_dup", "perturbation1": "original",
        "perturbation2": "original", "neg_type": "x"}) + "\n")
    with pytest.raises(ValueError, match="not in articles.jsonl"):
        load_gold(tmp_path)


def test_gate_cluster_selection_is_deterministic_and_takes_must_first():
    rows = [row(f"c{i}-{p}", f"c{i}", p, "x", None) for i in range(5) for p in ("original", "truncation")]
    pairs = [pair("c0-original", "c3-original", "not_dup", "original", "original", "same_category_similar"),
             pair("c0-original", "c4-original", "not_dup", "original", "original", "cross_category_random"),
             pair("c3-original", "c4-original", "not_dup", "original", "original", "cross_category_random")]
    assert select_gate_clusters(rows, pairs, 3, must=["c0"]) == ["c0", "c3", "c4"]
    assert select_gate_clusters(rows, pairs, 2, must=["c2", "nope"]) == ["c0", "c2"]  # sorted; ties: smaller id
    assert select_gate_clusters(rows, pairs, 99) == ["c0", "c1", "c2", "c3", "c4"]
