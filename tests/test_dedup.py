"""tasks.dedup: canonical URLs, stable hashes, MinHash LSH and the batch decisions (offline)."""

from __future__ import annotations

import json
import logging
import os
import random
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from tasks.dedup import (
    LEAD_BANDS,
    TRACKING_PARAMS,
    MemoryIndex,
    band_keys,
    canonical_url,
    containment,
    dedup_batch,
    dedup_warehouse_task,
    fingerprint,
    explain,
    fingerprint,
    minhash,
    normalize_text,
    shingles,
    site_of,
    text_hash,
    unique_articles,
)
from tasks.settings import Settings
from tasks.records import Article, DedupDecision, Fingerprint

ROOT = Path(__file__).resolve().parents[1]
GOLD = Path(__file__).resolve().parent / "data" / "dedup"


def make_article(article_id: str, text: str, url: str | None = None, title: str | None = None,
                 canonical: str | None = None) -> Article:
    return Article(
        article_id=article_id, raw_id=article_id, source="test", url=url, canonical_url=canonical,
        title=title, authors=(), published=None, published_source=None, language=None,
        site_name=None, text=text,
    )


def _load_gold() -> tuple[dict[str, dict], list[dict]]:
    recs = {r["id"]: r for r in map(json.loads, (GOLD / "articles.jsonl").open(encoding="utf-8"))}
    pairs = [json.loads(line) for line in (GOLD / "pairs.jsonl").open(encoding="utf-8")]
    return recs, pairs


RECS, PAIRS = _load_gold()


def gold(article_id: str) -> Article:
    r = RECS[article_id]
    return make_article(r["id"], r["text"], r["url"], r["title"])


def cluster(perturbation: str, n: int = 0) -> str:
    """The id of the n-th (sorted) gold cluster's article with this perturbation."""
    clusters = sorted({r["cluster_id"] for r in RECS.values() if r["perturbation"] == perturbation})
    return f"{clusters[n]}-{perturbation}"


# --------------------------------------------------------------------------- canonical_url


@pytest.mark.parametrize("url, expected", [
    # tracking parameters dropped, content parameters kept and sorted
    ("https://www.bbc.co.uk/news/business-4297112/?ocid=socialflow_twitter",
     "https://bbc.co.uk/news/business-4297112"),
    ("https://example.com/story?utm_source=x&id=42&utm_medium=email&UTM_Campaign=y",
     "https://example.com/story?id=42"),
    ("https://blog.example/?p=123&fbclid=IwAR0abc&gclid=z",
     "https://blog.example/?p=123"),
    ("https://news.example/read?articleId=7&ns_source=fb&ns_mchannel=social&at_medium=RSS"
     "&at_campaign=KARANGA&mc_cid=1&mc_eid=2&_ga=3&igshid=4&ref=tw&src=rss&cmpid=5&ocid=6",
     "https://news.example/read?articleId=7"),
    ("https://example.com/search?q=a+b&page=2&lang=en", "https://example.com/search?lang=en&page=2&q=a+b"),
    ("https://example.com/list?b=2&a=1&a=0", "https://example.com/list?a=0&a=1&b=2"),
    # scheme, host case, www, default ports, fragment, trailing slash
    ("http://WWW.BBC.CO.UK:80/news/sport-4076089/#top", "https://bbc.co.uk/news/sport-4076089"),
    ("https://BBC.co.uk:443/news/x?ocid=a#story_continues_1", "https://bbc.co.uk/news/x"),
    ("https://example.com:8080/a/", "https://example.com:8080/a"),
    ("HTTPS://WWW.Example.COM", "https://example.com/"),
    ("http://example.com/", "https://example.com/"),
    ("//www.example.com/a?id=1", "https://example.com/a?id=1"),
    ("  https://example.com/Case/Kept  ", "https://example.com/Case/Kept"),
])
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


@pytest.mark.parametrize("garbage", [
    None, "", "   ", "not a url", "example.com/news", "ftp://example.com/file", "mailto:a@b.example",
    "javascript:alert(1)", "http://", "https:///path-only", "https://exa mple.com/",
    "http://example.com:99999/", "http://example.com:port/", "http://[::1/", 12345, b"https://example.com",
])
def test_canonical_url_garbage_is_none(garbage):
    assert canonical_url(garbage) is None


def test_tracking_list_is_documented_and_lower_case():
    assert {"fbclid", "gclid", "ref", "src", "cmpid", "ocid", "mc_cid", "mc_eid", "_ga", "igshid"} <= TRACKING_PARAMS
    assert all(p == p.lower() for p in TRACKING_PARAMS)
    assert "id" not in TRACKING_PARAMS and "p" not in TRACKING_PARAMS


def test_gold_url_variants_fold_onto_the_original():
    for r in RECS.values():
        if r["perturbation"] == "url_variant":
            original = RECS[f"{r['cluster_id']}-original"]["url"]
            assert canonical_url(r["url"]) == canonical_url(original), r["url"]


_URL_PART = st.text(alphabet="abcXYZ019-._~%/", min_size=0, max_size=12)


@hsettings(max_examples=200, deadline=None)
@given(st.one_of(
    st.text(max_size=60),
    st.builds(lambda s, w, h, port, path, q, f: f"{s}://{w}{h}.example{port}/{path}?{q}#{f}",
              st.sampled_from(["http", "https", "HTTP", "ftp"]), st.sampled_from(["", "www.", "WWW."]),
              st.text(alphabet="abcXYZ019-", min_size=1, max_size=8),
              st.sampled_from(["", ":80", ":443", ":8080", ":x", ":0"]), _URL_PART,
              st.lists(st.tuples(st.sampled_from(["id", "p", "utm_source", "fbclid", "q", "ref"]), _URL_PART),
                       max_size=4).map(lambda kv: "&".join(f"{k}={v}" for k, v in kv)),
              _URL_PART),
))
def test_canonical_url_never_raises_and_is_idempotent(url):
    out = canonical_url(url)
    assert out is None or (out.startswith("https://") and canonical_url(out) == out)


# --------------------------------------------------------------------------- text, hashes


def test_normalize_text_and_text_hash_fold_typography():
    a = "The  minister said: \u201cIt\u2019s a \u2014 big \u2013 step.\u201d\n\nMORE\u00a0later"
    b = "the minister said: \"it's a - big - step.\" more later"
    assert normalize_text(a) == b
    assert text_hash(a) == text_hash(b)
    assert text_hash(a) != text_hash(b + " again")
    assert len(text_hash(a)) == 64


def test_shingles_are_sorted_unique_uint64():
    sh = shingles("a b c a b c a b c", 3)
    assert sh.dtype == np.uint64
    assert len(sh) == 3  # "a b c", "b c a", "c a b"
    assert np.all(np.diff(sh.astype(object)) > 0)
    assert len(shingles("two words", 3)) == 1
    assert len(shingles("  \n ", 3)) == 0
    with pytest.raises(ValueError):
        shingles("a b c", 0)


def test_shingles_fold_copyedit_number_styles():
    uk = "Sales rose 24.4% to \u00a3484bn, while costs grew by \u00a35m in 2004."
    us = "Sales rose 24.4 percent to \u00a3484 billion, while costs grew by \u00a35 million in 2004."
    assert np.array_equal(shingles(uk, 3), shingles(us, 3))
    assert text_hash(uk) != text_hash(us)  # the text hash stays literal


def test_containment():
    full = RECS[cluster("original")]["text"]
    paragraphs = full.split("\n\n")
    head = "\n\n".join(paragraphs[: max(1, len(paragraphs) // 2)])
    assert containment(head, full, 3) == pytest.approx(1.0)
    assert containment(full, head, 3) == pytest.approx(1.0)  # the shorter text decides
    other = RECS[cluster("original", 5)]["text"]
    assert containment(full, other, 3) < 0.2
    assert containment("", full, 3) == 0.0


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return len(np.intersect1d(a, b)) / len(np.union1d(a, b))


def test_minhash_is_exact_universal_hashing_and_estimates_jaccard():
    from tasks.dedup import _permutations  # the fixed (a, b) parameters

    p = (1 << 31) - 1
    a, b = _permutations(128)
    # x with a_i*x + b_i == 0 (mod p) for the first hash functions: the reduction must give 0, not p
    zeros = [(-int(b[i, 0]) * pow(int(a[i, 0]), -1, p)) % p for i in range(4)]
    x = np.array([0, 1, p - 1, p, p + 1, (1 << 32) - 1, (1 << 63) + 12345, (1 << 64) - 1, *zeros], dtype=np.uint64)
    folded = [(int(v) >> 32) ^ (int(v) & 0xFFFFFFFF) for v in x]
    expected = [min((int(ai) * v + int(bi)) % p for v in folded) for ai, bi in zip(a.ravel(), b.ravel())]
    assert [int(v) for v in minhash(x)] == expected  # no uint64 overflow anywhere
    assert [int(v) for v in minhash(x)[:4]] == [0, 0, 0, 0]

    s1 = shingles(RECS[cluster("original", 1)]["text"], 3)
    s2 = shingles(RECS[cluster("truncation", 1)]["text"], 3)
    estimate = float(np.mean(minhash(s1) == minhash(s2)))
    assert abs(estimate - _jaccard(s1, s2)) < 0.15
    assert np.all(minhash(np.empty(0, np.uint64)) == np.iinfo(np.uint64).max)


FOX = "The quick brown fox jumps over the lazy dog near the river bank."
FOX_KEYS = (1189561351476588869, -3375408217317092532, -6665281570599383664)
FOX_HASH = "2a93c780766b97ef6a1cdfeb4bdd932d62ba890a34f92ea7f2babde481fdfbdc"


def test_band_keys_are_fixed_values():
    keys = band_keys(minhash(shingles(FOX, 3)))
    assert len(keys) == 64 and len(set(keys)) == 64
    assert keys[:3] == FOX_KEYS and keys[-1] == 2509526306982722733
    assert all(isinstance(k, int) and -2**63 <= k < 2**63 for k in keys)  # BIGINT in the warehouse
    assert text_hash(FOX) == FOX_HASH
    assert band_keys(minhash(np.empty(0, np.uint64))) == ()
    assert len(band_keys(minhash(shingles(FOX, 3)), bands=32)) == 32
    with pytest.raises(ValueError):
        band_keys(minhash(shingles(FOX, 3)), bands=48)


def test_band_keys_do_not_depend_on_the_process():
    code = ("from tasks.dedup import band_keys, minhash, shingles, text_hash; import sys; "
            "print(','.join(map(str, band_keys(minhash(shingles(sys.argv[1], 3))))), text_hash(sys.argv[1]))")
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}  # another str-hash salt
    out = subprocess.run([sys.executable, "-c", code, FOX], capture_output=True, text=True,
                         env=env, cwd=ROOT, check=True).stdout.split()
    assert out == [",".join(map(str, band_keys(minhash(shingles(FOX, 3))))), FOX_HASH]
    assert out[0].split(",")[:3] == [str(k) for k in FOX_KEYS]


# --------------------------------------------------------------------------- dedup_batch


def test_fingerprint_uses_a_declared_canonical_url_on_the_same_site():
    art = make_article("a1", FOX, url="https://m.example.com/x?utm_source=rss",
                       canonical="HTTP://WWW.Example.com/fox/?ref=home")
    fp = fingerprint(art)
    sig = minhash(shingles(FOX, 3))
    assert fp.canonical_url == "https://example.com/fox"
    assert (fp.article_id, fp.text_hash, fp.shingle_count) == ("a1", FOX_HASH, shingles(FOX, 3).size)
    assert fp.band_keys[:64] == band_keys(sig) and len(fp.band_keys) == 64 + 16  # full text, then lead
    assert np.array_equal(np.frombuffer(fp.signature, "<u8"), sig)
    assert fingerprint(replace(art, canonical_url="garbage")).canonical_url == "https://m.example.com/x"
    assert fingerprint(replace(art, canonical_url=None, url=None)).canonical_url is None
    assert fingerprint(replace(art, url=None)).canonical_url == "https://example.com/fox"


def test_a_canonical_on_another_site_counts_only_for_known_syndication_sources():
    partner = make_article("p1", FOX, url="https://partner.example.org/news/fox-story",
                           canonical="https://www.apnews.com/article/fox-123")
    assert fingerprint(partner).canonical_url == "https://apnews.com/article/fox-123"
    aggregator = replace(partner, canonical_url="https://aggregator.example.net/item/9")
    assert fingerprint(aggregator).canonical_url == "https://partner.example.org/news/fox-story"
    assert site_of("https://news.bbc.co.uk/a") == "bbc.co.uk" and site_of("https://m.example.com/") == "example.com"


def test_batch_url_exact_near_and_new():
    variant = gold(cluster("url_variant"))
    orig = gold(variant.article_id.replace("url_variant", "original"))
    assert variant.url != orig.url and variant.text == orig.text
    retyped = make_article("retyped", orig.text.replace("'", "\u2019").replace(" - ", " \u2014 "),
                           url="https://partner.example/retyped")
    head = "\n\n".join(orig.text.split("\n\n")[:2])
    partner = make_article("partner", "Advertisement\n\n" + head + "\n\nShare this story",
                           url="https://partner.example/copy", title=orig.title)
    other = gold(cluster("original", 3))
    decisions, fps = dedup_batch([orig, variant, retyped, partner, other], MemoryIndex())

    by_id = {d.article_id: d for d in decisions}
    assert [d.article_id for d in decisions] == [orig.article_id, variant.article_id, "retyped", "partner",
                                                 other.article_id]
    assert by_id[orig.article_id] == DedupDecision(orig.article_id, None, None, None)
    assert by_id[variant.article_id] == DedupDecision(variant.article_id, orig.article_id, "url", None)
    assert by_id["retyped"] == DedupDecision("retyped", orig.article_id, "exact", 1.0)
    near = by_id["partner"]
    assert (near.duplicate_of, near.reason) == (orig.article_id, "near")
    assert 0.8 <= near.score <= 1.0
    assert by_id[other.article_id].duplicate_of is None
    assert [f.article_id for f in fps] == [d.article_id for d in decisions]  # duplicates too
    assert all(len(f.band_keys) == 64 + 16 for f in fps)  # full-text bands, then lead bands
    assert [a.article_id for a in unique_articles([orig, variant, retyped, partner, other], decisions)] == [
        orig.article_id, other.article_id]


def test_threshold_and_k_are_honoured():
    orig = gold(cluster("original", 4))
    paragraphs = orig.text.split("\n\n")
    extra = gold(cluster("original", 6)).text
    half = make_article("half", "\n\n".join(paragraphs[: len(paragraphs) // 2]) + "\n\n" + extra,
                        url="https://x.example/half")
    score = containment(half.text, orig.text, 3)
    assert 0.2 < score < 0.95
    loose, _ = dedup_batch([orig, half], MemoryIndex(), threshold=score - 0.01)
    strict, _ = dedup_batch([orig, half], MemoryIndex(), threshold=score + 0.01)
    assert loose[1].reason == "near" and strict[1].reason is None
    k5, _ = dedup_batch([orig, half], MemoryIndex(), threshold=score - 0.01, k=5)
    assert k5[1].score != loose[1].score


def test_new_text_under_the_same_url_is_a_version():
    update = gold(cluster("update"))
    orig = gold(update.article_id.replace("update", "original"))
    assert canonical_url(update.url) == canonical_url(orig.url)
    assert text_hash(update.text) != text_hash(orig.text)
    decisions, _ = dedup_batch([orig, update, update, replace(orig, article_id="again", raw_id="again")],
                               MemoryIndex())
    d = decisions[1]
    assert (d.article_id, d.duplicate_of, d.reason) == (update.article_id, orig.article_id, "version")
    assert 0.9 <= d.score < 1.0  # containment of the two versions' texts
    # The original's text seen again under its URL is a plain URL duplicate, not a new version.
    assert (decisions[3].duplicate_of, decisions[3].reason) == (orig.article_id, "url")


def test_duplicate_points_to_the_original_through_in_batch_chains():
    orig = gold(cluster("original", 8))
    head = "\n\n".join(orig.text.split("\n\n")[:2])
    stub = make_article("stub", head, url="https://partner.example/stub")
    full_copy = replace(orig, article_id="copy", raw_id="copy", url="https://other.example/full")
    url_twin = make_article("twin", orig.text + "\n\nCorrection appended.", url=full_copy.url + "?utm_source=x")
    # stub first: the full copy contains it (near), the twin shares the copy's URL -> both point to stub
    decisions, _ = dedup_batch([stub, full_copy, url_twin], MemoryIndex())
    assert [(d.duplicate_of, d.reason) for d in decisions] == [(None, None), ("stub", "near"), ("stub", "version")]


def test_same_article_twice_is_never_its_own_duplicate():
    a = gold(cluster("original", 9))
    decisions, fps = dedup_batch([a, a], MemoryIndex())
    assert decisions[0] == decisions[1] == DedupDecision(a.article_id, None, None, None)
    assert len(fps) == 2
    index = MemoryIndex()
    index.add(fingerprint(a), a.text)
    again, _ = dedup_batch([a], index)  # re-running over a stored article
    assert again[0].duplicate_of is None


def test_across_nights_with_a_prefilled_index():
    originals = [gold(cluster("original", i)) for i in range(10, 14)]
    night1, fps1 = dedup_batch(originals, MemoryIndex())
    assert all(d.duplicate_of is None for d in night1)
    index = MemoryIndex()
    for fp, art in zip(fps1, originals):
        index.add(fp, art.text)
    assert len(index) == 4

    variants = []
    for art in originals:
        c = art.article_id.split("-")[0]
        variants += [gold(i) for i in sorted(RECS) if i.startswith(c + "-") and not i.endswith("original")]
    fresh = gold(cluster("original", 14))
    night2, fps2 = dedup_batch(variants + [fresh], index)
    for d in night2[:-1]:
        assert d.duplicate_of == d.article_id.split("-")[0] + "-original", d
        assert d.reason in ("url", "version", "exact", "near")
    assert night2[-1] == DedupDecision(fresh.article_id, None, None, None)
    assert len(fps2) == len(variants) + 1
    assert len(index) == 4  # dedup_batch only reads the given index


def test_tie_break_prefers_same_title():
    text = gold(cluster("original", 15)).text
    extra_a, extra_b = gold(cluster("original", 17)).text, gold(cluster("original", 18)).text
    # two different originals that both quote the whole of `text`: c is contained in each (1.0)
    a = make_article("a", text + "\n\n" + extra_a, url="https://a.example/1", title="Something else")
    b = make_article("b", text + "\n\n" + extra_b, url="https://b.example/1", title="The Right Title")
    c = make_article("c", text, url="https://c.example/1", title="the right title")
    decisions, _ = dedup_batch([a, b, c], MemoryIndex())
    assert [d.duplicate_of for d in decisions[:2]] == [None, None]
    assert decisions[2].duplicate_of == "b" and decisions[2].score == 1.0
    decisions, _ = dedup_batch([a, b, replace(c, title="SOMETHING ELSE")], MemoryIndex())
    assert decisions[2].duplicate_of == "a"
    decisions, _ = dedup_batch([b, a, replace(c, title=None)], MemoryIndex())
    assert decisions[2].duplicate_of == "b"  # no title: the earliest candidate


# --------------------------------------------------------------------------- gold subset


def test_gold_subset_pairwise_precision_and_recall():
    """Index one side of every labelled pair, dedup the other: P >= 0.99, R >= 0.9."""
    fps = {i: fingerprint(gold(i)) for i in RECS}
    tp = fp = fn = 0
    for p in PAIRS:
        index = MemoryIndex()
        index.add(fps[p["id1"]], RECS[p["id1"]]["text"])
        (decision,), _ = dedup_batch([gold(p["id2"])], index)
        predicted = decision.duplicate_of == p["id1"]
        actual = p["label"] != "not_dup"
        tp += predicted and actual
        fp += predicted and not actual
        fn += actual and not predicted
    assert tp + fn == 180 and len(PAIRS) - tp - fn == 94
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.99, (tp, fp, fn)
    assert recall >= 0.9, (tp, fp, fn)


def test_gold_subset_as_one_shuffled_batch():
    """All 120 articles in one batch: no cross-cluster link, nearly one original per cluster."""
    arts = [gold(i) for i in sorted(RECS)]
    random.Random(7).shuffle(arts)
    decisions, fps = dedup_batch(arts, MemoryIndex())
    cl = {i: r["cluster_id"] for i, r in RECS.items()}
    for d in decisions:
        if d.duplicate_of:
            assert cl[d.duplicate_of] == cl[d.article_id], d
            assert next(x for x in decisions if x.article_id == d.duplicate_of).duplicate_of is None
    originals = sum(d.duplicate_of is None for d in decisions)
    assert 30 <= originals <= 33  # 30 clusters; a tiny truncated stub may stand alone
    assert len(fps) == 120


# --------------------------------------------------------------------------- Prefect task


def test_dedup_with_fingerprints_computed_beforehand_decides_the_same():
    """The flow computes fingerprints on the workers and passes them in: same decisions, same prints."""
    batch = [gold(i) for i in sorted(RECS)[:60]]
    alone = dedup_batch(batch, MemoryIndex())
    given = dedup_batch(batch, MemoryIndex(), fingerprints=[fingerprint(a) for a in batch])
    assert given == alone and any(d.duplicate_of for d in alone[0])
    with pytest.raises(ValueError, match="1 fingerprints for 60 articles"):
        dedup_batch(batch, MemoryIndex(), fingerprints=[fingerprint(batch[0])])


def test_dedup_warehouse_task_fn_logs_counts(caplog, tmp_path):
    orig = gold(cluster("original", 16))
    c = orig.article_id.split("-")[0]
    batch = [orig] + [gold(i) for i in sorted(RECS) if i.startswith(c + "-") and i != orig.article_id]
    settings = Settings.from_env({}, db_path=tmp_path / "none-yet.duckdb")
    with caplog.at_level(logging.INFO, logger="newsflow"):
        decisions, fps = dedup_warehouse_task.fn(batch, settings, [fingerprint(a) for a in batch])
    assert decisions[0].duplicate_of is None
    assert all(d.duplicate_of == orig.article_id for d in decisions[1:])
    assert len(fps) == len(batch)
    assert "'new': 1" in caplog.text


# --------------------------------------------------------------------------- explain


def test_explain_a_truncated_copy_and_an_unrelated_story():
    trunc = gold(cluster("truncation"))
    orig = gold(trunc.article_id.replace("truncation", "original"))
    ex = explain(orig, trunc)
    assert (ex.reason, ex.duplicate, ex.same_url, ex.same_text) == ("near", True, False, False)
    assert ex.containment == 1.0 and ex.common_shingles == ex.shingles_b < ex.shingles_a
    assert 0 < ex.jaccard < 1 and abs(ex.estimated_jaccard - ex.jaccard) < 0.15
    assert ex.shared_lead_bands == LEAD_BANDS and ex.prefilter_passes
    assert ex.lines()[0].startswith(f"{trunc.article_id} vs {orig.article_id}: DUPLICATE (near, score 1.000)")
    other = gold(cluster("original", 3))
    ex = explain(orig, other)
    assert (ex.reason, ex.duplicate) == (None, False) and ex.containment < 0.8
    assert "NOT duplicates" in ex.lines()[0]
    # The decision is the flow's: the same as dedup_batch on [A, B].
    assert explain(orig, trunc, threshold=1.01).reason is None


def test_explain_a_new_version_under_the_same_url():
    update = gold(cluster("update"))
    orig = gold(update.article_id.replace("update", "original"))
    ex = explain(orig, update)
    assert (ex.reason, ex.same_url, ex.same_text) == ("version", True, False)
    assert "later version" in ex.lines()[0]
    assert explain(orig, orig).reason == "url"  # the same document twice


def test_tie_break_then_prefers_the_same_lead():
    text = gold(cluster("original", 15)).text
    extra_a, extra_b = gold(cluster("original", 17)).text, gold(cluster("original", 18)).text
    # a quotes `text` after its own story, b starts with it: c (= text) has b's lead
    a = make_article("a", extra_a + "\n\n" + text, url="https://a.example/1")
    b = make_article("b", text + "\n\n" + extra_b, url="https://b.example/1")
    c = make_article("c", text, url="https://c.example/1")
    decisions, _ = dedup_batch([a, b, c], MemoryIndex())
    assert decisions[2].duplicate_of == "b" and decisions[2].score == 1.0
    decisions, _ = dedup_batch([b, a, c], MemoryIndex())
    assert decisions[2].duplicate_of == "b"
