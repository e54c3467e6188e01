"""Bench: dedup against a large warehouse (10,000 and 1,000,000 articles already stored).

Measures ``tasks.dedup.dedup_batch(tonight, WarehouseIndex(db))``, the pure function against the
warehouse-backed index, timed from call to return, with a warehouse that already holds N
articles' signatures and LSH band keys, for each N of ``--sizes`` (default 10,000 and 1,000,000).
Each run is a fresh process (``--repeat`` of them per size, one at a time), which reports:

- articles/s through the call (median over the runs);
- its resident memory before the call (imports and tonight's articles loaded) and its peak RSS
  (``resource.getrusage``), so the dedup's own share (peak - before) is visible;
- what the warehouse did, by wrapping the index (``CountingIndex``, a ``WarehouseIndex``
  subclass): seconds and results of each lookup: stored candidates the band join returned,
  how many survived the signature prefilter (``could_contain``), texts read.

Then the growth from the smallest to the largest size (ratio of articles/s and of peak memory;
the goal is "nearly flat"), and a check that every size gave the same decisions (exit status 1
if not, or if a decision names a synthetic article).

Tonight (the 1,400-article batch): ``../shared/gold/dedup/articles.jsonl`` (real BBC articles and
their syndicated variants, 400 clusters). The originals of every second cluster (200, sorted by
cluster id) are already in the warehouse, loaded by the project's own ``tasks.load.load_batch``;
tonight is every other gold article: the 600 variants of those stored originals, which must find
them, and the 200 other clusters whole (original + 3 variants), new tonight.

Stored articles: the 200 real originals plus N - 200 synthetic ones, bulk-inserted from numpy
into a warehouse created by the project's migrations: ``staging.articles`` (short placeholder
text, a unique URL), ``staging.article_signatures`` (128 little-endian uint64, as
``signature_bytes``) and ``staging.lsh_bands`` (64 full-text + 16 lead band keys per article, so
80 million rows at 1M). A synthetic signature is the element-wise min of

(a) ``tasks.dedup.minhash`` of 18-54 real shingles (word 3-shingles of the BBC corpus,
    ``../shared/corpus/bbc_articles.jsonl``, that occur in at least two of its articles),
    drawn with probability proportional to document frequency squared (Zipf-like); and
(b) the MinHash of the article's other shingles, simulated: per permutation, the minimum of n
    uniform values below 2**31-1, drawn directly (n = the shingle count of a random real BBC
    article, minus the drawn ones);

its lead signature (32 permutations, lead band keys) is built the same way from the lead's
shingle count and a share of the same drawn shingles. The parameters were calibrated so that
synthetic articles share LSH band keys with tonight's as often as real BBC articles do (the
"reference" figures: the BBC articles that are not gold sources, near-duplicates removed).

Built warehouses are cached in bench/out/dedup-warehouse/stored-<N>.duckdb (git-ignored, with a
.json sidecar); they are rebuilt when missing, when the generator's parameters or the migrations
changed, or with ``--rebuild``. Building 1,000,000 takes about 2.5 minutes (2 cores) and 1.9 GB
of disk. Builds
run in a child process too: Linux carries ``ru_maxrss`` over from the parent across fork + exec,
so the measuring processes are started from a parent that never held a build.

    make bench-dedup                   # or: .venv/bin/python bench/bench_dedup.py
    .venv/bin/python bench/bench_dedup.py --sizes 10000,1000000 --repeat 3 [--rebuild]

Results: the table on stdout and bench/out/bench-dedup.json.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable, Collection, Mapping, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.dedup_scoring import arrival_order, read_jsonl, to_article  # noqa: E402
from tasks.dedup import (  # noqa: E402
    _BAND_SALT,
    _LEAD_SALT,
    BANDS,
    LEAD_BANDS,
    LEAD_WORDS,
    NUM_PERM,
    MemoryIndex,
    _mix64,
    _shingles_normalized,
    band_keys,
    could_contain,
    dedup_batch,
    estimated_jaccard,
    fingerprint,
    minhash,
    normalize_text,
    signature_bytes,
    signature_from_bytes,
)
from tasks.records import Article, DedupDecision, RunSummary  # noqa: E402
from tasks.warehouse import WarehouseIndex  # noqa: E402

SHARED = ROOT.parent / "shared"
GOLD = SHARED / "gold" / "dedup"
CORPUS = SHARED / "corpus" / "bbc_articles.jsonl"
OUT = ROOT / "bench" / "out" / "bench-dedup.json"
CACHE = ROOT / "bench" / "out" / "dedup-warehouse"
DEFAULT_SIZES = (10_000, 1_000_000)

#: The synthetic generator. Changing any of these invalidates the cached warehouses.
GENERATOR = {
    "version": 1,
    "seed": 20261123,
    "shingle_size": 3,
    "min_df": 2,  # a pool shingle occurs in at least this many background articles
    "zipf_exponent": 2.0,  # draw probability of a pool shingle ~ df ** zipf_exponent
    "shared_min": 18,  # real shingles drawn per synthetic article: uniform in [min, max]
    "shared_max": 54,
    "lead_factor": 1.8,  # each drawn shingle is in the lead with p = lead_factor * lead size / size
    "stored_clusters": "every second gold cluster (sorted by id), from the first",
}
SYNTHETIC_SOURCE = "synthetic"
SYNTHETIC_RUN = "bench-synthetic"
ORIGINALS_RUN = "bench-stored-originals"
CHUNK = 50_000  # synthetic articles per insert transaction (4M band rows)
_P = np.uint64((1 << 31) - 1)
_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def hwm_mb() -> float:
    """The kernel's high-water mark of this process image's RSS (VmHWM), to cross-check ru_maxrss
    (which Linux carries over from the parent across fork + exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path, ROOT)
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------------------------------
# Tonight and the stored originals
# ---------------------------------------------------------------------------------------------


@dataclass
class Night:
    """Tonight's articles (arrival order) and the real originals stored before tonight."""

    tonight: list[Article]
    stored: list[Article]
    cluster_of: dict[str, str]  # article id -> gold cluster id
    stored_clusters: frozenset[str]


def load_night(gold: Path = GOLD) -> Night:
    rows = read_jsonl(Path(gold) / "articles.jsonl")
    clusters = sorted({r["cluster_id"] for r in rows})
    stored_clusters = frozenset(clusters[0::2])
    stored = [r for r in rows if r["cluster_id"] in stored_clusters and r["perturbation"] == "original"]
    tonight = [r for r in rows if not (r["cluster_id"] in stored_clusters and r["perturbation"] == "original")]
    return Night([to_article(r) for r in arrival_order(tonight)], [to_article(r) for r in arrival_order(stored)],
                 {r["id"]: r["cluster_id"] for r in rows}, stored_clusters)


# ---------------------------------------------------------------------------------------------
# What synthetic articles are made of
# ---------------------------------------------------------------------------------------------


@dataclass
class Shape:
    """Real material for synthetic articles: shared phrases and article sizes of a text corpus."""

    pool: np.ndarray  # uint64 shingle hashes found in >= min_df texts
    weights: np.ndarray  # float64 draw probability of each pool shingle
    shingle_counts: np.ndarray  # int64 shingle count of each real text
    lead_counts: np.ndarray  # int64 shingle count of each real text's lead (first LEAD_WORDS words)
    _tables: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    def tables(self) -> tuple[np.ndarray, np.ndarray]:
        """Each pool shingle's MinHash values (``tasks.dedup.minhash`` of that one shingle), for the
        128 full-text and the 32 lead permutations, as uint32 rows, plus a last row of 2**32-1 (no
        shingle). The MinHash of a set of pool shingles is the element-wise min of their rows."""
        if self._tables is None:
            pad = lambda n: np.full((1, n), 0xFFFFFFFF, dtype=np.uint32)  # noqa: E731
            full = np.stack([minhash(self.pool[i:i + 1], NUM_PERM) for i in range(self.pool.size)]) \
                if self.pool.size else np.empty((0, NUM_PERM), dtype=np.uint64)
            lead = np.stack([minhash(self.pool[i:i + 1], 2 * LEAD_BANDS) for i in range(self.pool.size)]) \
                if self.pool.size else np.empty((0, 2 * LEAD_BANDS), dtype=np.uint64)
            self._tables = (np.vstack([full.astype(np.uint32), pad(NUM_PERM)]),
                            np.vstack([lead.astype(np.uint32), pad(2 * LEAD_BANDS)]))
        return self._tables


def shape_from_texts(texts: Sequence[str], k: int = GENERATOR["shingle_size"], min_df: int = GENERATOR["min_df"],
                     exponent: float = GENERATOR["zipf_exponent"]) -> Shape:
    """The pool of shingles shared by at least ``min_df`` texts (weight df ** exponent) and the
    texts' shingle counts, full and lead (as ``tasks.dedup`` computes them)."""
    shingle_sets, counts, leads = [], [], []
    for text in texts:
        norm = normalize_text(text)
        sh = _shingles_normalized(norm, k)
        if sh.size == 0:
            continue
        lead = " ".join(norm.split(" ", LEAD_WORDS)[:LEAD_WORDS])
        shingle_sets.append(sh)
        counts.append(sh.size)
        leads.append(_shingles_normalized(lead, k).size)
    if not shingle_sets:
        raise ValueError("no text with words to build synthetic articles from")
    values, df = np.unique(np.concatenate(shingle_sets), return_counts=True)
    keep = df >= min_df
    if not keep.any():
        raise ValueError(f"no shingle occurs in {min_df} texts: give more (or related) texts")
    weights = df[keep].astype(np.float64) ** exponent
    return Shape(values[keep], weights / weights.sum(), np.array(counts, dtype=np.int64),
                 np.array(leads, dtype=np.int64))


def background(corpus: Path, gold: Path, k: int) -> tuple[list[Article], list]:
    """The BBC corpus articles that are not a gold source, minus near-duplicates (containment >= 0.5)
    of a gold original or of each other; with their fingerprints."""
    gold_rows = read_jsonl(Path(gold) / "articles.jsonl")
    gold_sources = {r["source_id"] for r in gold_rows}
    originals = [to_article(r) for r in gold_rows if r["perturbation"] == "original"]
    bg = [Article(r["id"], r["id"], "bbc", None, None, r.get("title"), (), None, None, None, None, r["text"])
          for r in read_jsonl(corpus) if r["id"] not in gold_sources and r.get("text")]
    decisions, prints = dedup_batch(originals + bg, MemoryIndex(), threshold=0.5, k=k)
    keep = {d.article_id for d in decisions[len(originals):] if d.duplicate_of is None}
    out = [(a, fp) for a, fp in zip(bg, prints[len(originals):]) if a.article_id in keep]
    return [a for a, _ in out], [fp for _, fp in out]


def reference_rates(tonight_prints: Sequence, stored_prints: Sequence, threshold: float) -> dict:
    """How often real stored articles become LSH candidates of tonight's: pairs (tonight article,
    stored article) sharing a full-text band key, a lead key, any key; and of those, how many
    survive ``could_contain``."""
    full: dict[int, list[int]] = {}
    lead: dict[int, list[int]] = {}
    for i, fp in enumerate(stored_prints):
        for j, key in enumerate(fp.band_keys):
            (lead if j >= BANDS else full).setdefault(key, []).append(i)
    pf, pl = set(), set()
    for t, fp in enumerate(tonight_prints):
        for j, key in enumerate(fp.band_keys):
            for i in (lead if j >= BANDS else full).get(key, ()):
                (pl if j >= BANDS else pf).add((t, i))
    pairs = pf | pl
    survived = sum(
        could_contain(estimated_jaccard(signature_from_bytes(tonight_prints[t].signature),
                                        signature_from_bytes(stored_prints[i].signature)),
                      tonight_prints[t].shingle_count, stored_prints[i].shingle_count, threshold)
        for t, i in pairs)
    n = len(tonight_prints) * len(stored_prints)
    return {
        "tonight": len(tonight_prints), "stored": len(stored_prints), "pairs": n,
        "candidate_pairs": len(pairs), "candidate_pairs_full": len(pf), "candidate_pairs_lead": len(pl),
        "rate": len(pairs) / n, "rate_full": len(pf) / n, "rate_lead": len(pl) / n,
        "survived_prefilter": survived, "survival_share": survived / len(pairs) if pairs else None,
    }


# ---------------------------------------------------------------------------------------------
# Synthetic signatures and band keys
# ---------------------------------------------------------------------------------------------


def band_key_matrix(sigs: np.ndarray, bands: int, salt: np.uint64) -> np.ndarray:
    """``tasks.dedup.band_keys`` of every row of a 2-D uint64 signature array: int64[rows, bands]
    (the same splitmix64 arithmetic, over all rows at once)."""
    sigs = np.asarray(sigs, dtype=np.uint64)
    rows = sigs.reshape(sigs.shape[0], bands, sigs.shape[1] // bands)
    h = np.broadcast_to(_mix64(np.arange(bands, dtype=np.uint64) ^ salt), rows.shape[:2])
    for j in range(rows.shape[2]):
        h = _mix64(h ^ rows[:, :, j])
    return np.ascontiguousarray(h).view(np.int64)


def _simulated_min(rng: np.random.Generator, n: np.ndarray, perms: int) -> np.ndarray:
    """Per row and permutation, the minimum of n[row] uniform values below 2**31-1 (the MinHash of
    n unique shingles), drawn directly: P(min > x) = (1 - x/p)**n, i.e. p * (1 - U**(1/n))."""
    u = rng.random((n.size, perms))
    return np.floor(float(_P) * -np.expm1(np.log(u) / n[:, None])).astype(np.uint64)


def synthetic_signatures(shape: Shape, rng: np.random.Generator, count: int
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count`` synthetic articles: (signature uint64[count, 128], lead signature uint64[count, 32],
    shingle count int64[count])."""
    g = GENERATOR
    full_table, lead_table = shape.tables()
    none = full_table.shape[0] - 1
    pick = rng.integers(0, shape.shingle_counts.size, count)
    n = shape.shingle_counts[pick]
    n_lead = np.minimum(shape.lead_counts[pick], n)
    m = np.minimum(rng.integers(g["shared_min"], g["shared_max"] + 1, count), n)
    drawn = rng.choice(shape.pool.size, size=(count, g["shared_max"]), p=shape.weights)
    col = np.arange(g["shared_max"])[None, :]
    drawn = np.where(col < m[:, None], drawn, none)
    m_lead = np.minimum(rng.binomial(m, np.minimum(1.0, g["lead_factor"] * n_lead / n)), n_lead)
    lead_drawn = np.where(col < m_lead[:, None], drawn, none)
    real = full_table[drawn[:, 0]]
    real_lead = lead_table[lead_drawn[:, 0]]
    for j in range(1, g["shared_max"]):
        np.minimum(real, full_table[drawn[:, j]], out=real)
        np.minimum(real_lead, lead_table[lead_drawn[:, j]], out=real_lead)
    sig = np.minimum(real.astype(np.uint64), _simulated_min(rng, np.maximum(n - m, 1), NUM_PERM))
    lead = np.minimum(real_lead.astype(np.uint64), _simulated_min(rng, np.maximum(n_lead - m_lead, 1), 2 * LEAD_BANDS))
    return sig, lead, n


def synthetic_keys(sig: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """Full-text then lead band keys per article, as ``tasks.dedup._fingerprint`` orders them: int64[rows, 80]."""
    return np.hstack([band_key_matrix(sig, BANDS, _BAND_SALT), band_key_matrix(lead, LEAD_BANDS, _LEAD_SALT)])


def check_keys(sig: np.ndarray, lead: np.ndarray, keys: np.ndarray, rows: Collection[int]) -> None:
    """Assert that the vectorised keys are ``tasks.dedup.band_keys``'s, on the given rows."""
    for r in rows:
        expected = band_keys(sig[r]) + band_keys(lead[r], LEAD_BANDS, _LEAD_SALT)
        if tuple(keys[r].tolist()) != expected:
            raise AssertionError(f"synthetic band keys of row {r} differ from tasks.dedup.band_keys")


def synthetic_ids(start: int, count: int) -> list[str]:
    """Article ids shaped like the pipeline's (20 hex digits of a sha256)."""
    return [hashlib.sha256(f"synthetic-{i}".encode()).hexdigest()[:20] for i in range(start, start + count)]


# ---------------------------------------------------------------------------------------------
# Building a warehouse
# ---------------------------------------------------------------------------------------------

_INSERT_ARTICLES = """
INSERT INTO staging.articles (article_id, raw_id, source, url, url_key, title, authors, published_at,
                              published_date, published_source, language, text, text_hash, word_count,
                              run_id, tags, field_sources)
SELECT id, id, ?, url, url, title, []::VARCHAR[], to_timestamp(epoch), make_timestamp(epoch * 1000000)::DATE,
       'source', 'en', text, sha256(lower(text)), len(string_split(text, ' ')), ?, []::VARCHAR[], '{}'::JSON
FROM (SELECT id, epoch,
             'https://synthetic.example/news/' || n AS url,
             'Synthetic stored article ' || n AS title,
             'Synthetic stored article ' || n || ', placeholder text of the dedup benchmark.' AS text
      FROM chunk_articles)
"""
_INSERT_SIGNATURES = """
INSERT INTO staging.article_signatures (article_id, signature, shingle_count, run_id)
SELECT id, signature, shingle_count, ? FROM chunk_articles
"""
_INSERT_BANDS = "INSERT INTO staging.lsh_bands (band_key, article_id) SELECT band_key, article_id FROM chunk_bands"


def synthetic_text(n: int) -> str:
    """The text the builder stores for synthetic article number n (see _INSERT_ARTICLES)."""
    return f"Synthetic stored article {n}, placeholder text of the dedup benchmark."


def build_warehouse(db: Path, size: int, shape: Shape, originals: Sequence[Article], *,
                    seed: int = GENERATOR["seed"], k: int = GENERATOR["shingle_size"], chunk: int = CHUNK,
                    progress: Callable[[str], None] | None = print) -> dict:
    """Write a warehouse holding ``size`` articles: ``originals`` (loaded by ``tasks.load.load_batch``)
    and ``size - len(originals)`` synthetic ones (bulk inserts from numpy). Built in
    ``<db>.partial`` and renamed when complete. Returns what was built."""
    from tasks.load import Batch, load_batch
    from tasks.warehouse import connect, migrate

    db = Path(db)
    if size < len(originals):
        raise ValueError(f"size {size} is smaller than the {len(originals)} real originals to store")
    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = db.with_name(db.name + ".partial")
    for p in (tmp, Path(str(tmp) + ".wal")):
        p.unlink(missing_ok=True)
    started = time.perf_counter()
    with connect(tmp, read_only=False) as con:
        con.execute("BEGIN TRANSACTION")
        migrate(con)
        con.execute("COMMIT")
    now = datetime.now(timezone.utc).isoformat()
    decisions = tuple(DedupDecision(a.article_id, None, None, None) for a in originals)
    load_batch(tmp, Batch(ORIGINALS_RUN, articles=tuple(originals), decisions=decisions,
                          fingerprints=tuple(fingerprint(a, k) for a in originals)),
               RunSummary(ORIGINALS_RUN, now, now, "completed", 1, len(originals), len(originals), 0, 0, 0, 0.0))

    n_syn = size - len(originals)
    rng = np.random.default_rng(seed)
    shape.tables()
    last = time.perf_counter()
    rows = 0
    epoch0 = 1_041_379_200  # 2003-01-01
    with connect(tmp, read_only=False) as con:
        for start in range(0, n_syn, chunk):
            count = min(chunk, n_syn - start)
            sig, lead, n = synthetic_signatures(shape, rng, count)
            keys = synthetic_keys(sig, lead)
            check_keys(sig, lead, keys, {0, count // 2, count - 1})
            ids = np.array(synthetic_ids(start, count), dtype=object)
            numbers = np.arange(start, start + count, dtype=np.int64)
            chunk_articles = {
                "id": ids, "n": numbers, "epoch": epoch0 + numbers * 90,
                "signature": np.array([signature_bytes(s) for s in sig], dtype=object),
                "shingle_count": n.astype(np.int32),
            }
            chunk_bands = {"band_key": keys.reshape(-1), "article_id": np.repeat(ids, keys.shape[1])}
            con.register("chunk_articles", chunk_articles)
            con.register("chunk_bands", chunk_bands)
            con.execute("BEGIN TRANSACTION")
            con.execute(_INSERT_ARTICLES, [SYNTHETIC_SOURCE, SYNTHETIC_RUN])
            con.execute(_INSERT_SIGNATURES, [SYNTHETIC_RUN])
            con.execute(_INSERT_BANDS)
            con.execute("COMMIT")
            con.unregister("chunk_articles")
            con.unregister("chunk_bands")
            rows += keys.size
            done = start + count
            if progress and (time.perf_counter() - last >= 5 or done == n_syn):
                last = time.perf_counter()
                progress(f"  stored {done + len(originals):>9,} / {size:,} articles, {rows:,} synthetic band "
                         f"rows, {last - started:.0f} s")
        con.execute("CHECKPOINT")
        counts = dict(zip(("articles", "signatures", "band_rows"), con.execute(
            "SELECT (SELECT count(*) FROM staging.articles), (SELECT count(*) FROM staging.article_signatures),"
            " (SELECT count(*) FROM staging.lsh_bands)").fetchone()))
    Path(str(tmp) + ".wal").unlink(missing_ok=True)
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    tmp.rename(db)
    return {"size": size, "originals": len(originals), "synthetic": n_syn, **counts,
            "build_seconds": round(time.perf_counter() - started, 1), "file_mb": round(db.stat().st_size / 2**20, 1),
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


# ---------------------------------------------------------------------------------------------
# Measuring (in a fresh process per run)
# ---------------------------------------------------------------------------------------------


class CountingIndex(WarehouseIndex):
    """A WarehouseIndex that counts and times every lookup and keeps the last results."""

    def __init__(self, db_path: Path):
        super().__init__(db_path)
        self.calls: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self.asked: dict[str, int] = {}
        self.returned: dict[str, int] = {}
        self.band_result: dict[int, list[str]] = {}
        self.sig_result: dict = {}
        self.text_ids: set[str] = set()
        self.url_hit_ids: set[str] = set()

    def _count(self, name: str, t0: float, asked: int, returned: int) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0
        self.asked[name] = self.asked.get(name, 0) + asked
        self.returned[name] = self.returned.get(name, 0) + returned

    def find_urls(self, url_keys: Collection[str]) -> dict[str, str]:
        t0 = time.perf_counter()
        out = super().find_urls(url_keys)
        self._count("find_urls", t0, len(url_keys), len(out))
        self.url_hit_ids.update(out.values())
        return out

    def find_hashes(self, text_hashes: Collection[str]) -> dict[str, str]:
        t0 = time.perf_counter()
        out = super().find_hashes(text_hashes)
        self._count("find_hashes", t0, len(text_hashes), len(out))
        return out

    def band_matches(self, keys: Collection[int]) -> dict[int, list[str]]:
        t0 = time.perf_counter()
        out = super().band_matches(keys)
        self._count("band_matches", t0, len(keys), sum(len(v) for v in out.values()))
        self.band_result = out
        return out

    def signatures(self, article_ids: Collection[str]):
        t0 = time.perf_counter()
        out = super().signatures(article_ids)
        self._count("signatures", t0, len(article_ids), len(out))
        self.sig_result = out
        return out

    def texts(self, article_ids: Collection[str]) -> dict[str, str]:
        t0 = time.perf_counter()
        out = super().texts(article_ids)
        self._count("texts", t0, len(article_ids), len(out))
        self.text_ids |= set(article_ids)
        return out


def candidate_counts(prints: Sequence, band: Mapping[int, list[str]], sigs: Mapping, threshold: float,
                     real_ids: Collection[str]) -> dict:
    """Stored candidates per tonight article as ``dedup_batch`` forms them (articles sharing a band
    key, then the ``could_contain`` prefilter on their signatures), counted as (article, candidate)
    pairs and as distinct stored articles; ``synthetic`` counts leave out the real originals."""
    pairs = kept_pairs = syn_pairs = syn_kept = 0
    ids: set[str] = set()
    kept_ids: set[str] = set()
    for fp in prints:
        seen = dict.fromkeys(cid for key in fp.band_keys for cid in band.get(key, ()))
        sig = signature_from_bytes(fp.signature)
        kept = [c for c in seen if c in sigs and could_contain(
            estimated_jaccard(sig, sigs[c][0]), fp.shingle_count, sigs[c][1], threshold)]
        pairs += len(seen)
        syn_pairs += sum(c not in real_ids for c in seen)
        kept_pairs += len(kept)
        syn_kept += sum(c not in real_ids for c in kept)
        ids.update(seen)
        kept_ids.update(kept)
    return {"candidate_pairs": pairs, "candidate_pairs_synthetic": syn_pairs, "candidates": len(ids),
            "survived_pairs": kept_pairs, "survived_pairs_synthetic": syn_kept, "survived": len(kept_ids)}


def measure(db: Path, gold: Path, threshold: float, k: int) -> dict:
    """One timed ``dedup_batch`` call against the warehouse ``db`` (run it in a fresh process)."""
    rss_start = rss_mb()
    night = load_night(gold)
    tonight = night.tonight
    real_ids = {a.article_id for a in night.stored}
    gc.collect()
    rss_before, peak_before = rss_mb(), peak_rss_mb()
    index = CountingIndex(db)
    t0 = time.perf_counter()
    decisions, prints = dedup_batch(tonight, index, threshold=threshold, k=k)
    seconds = time.perf_counter() - t0
    peak = peak_rss_mb()
    hwm = hwm_mb()
    rss_after = rss_mb()
    index.close()

    counts = candidate_counts(prints, index.band_result, index.sig_result, threshold, real_ids)
    outcome = {"new": 0, "duplicate_of_stored_original": 0, "duplicate_in_tonight": 0,
               "duplicate_of_synthetic": 0, "variants_of_stored_originals": 0, "found_their_stored_original": 0}
    reasons: dict[str, int] = {}
    tonight_ids = {a.article_id for a in tonight}
    for d in decisions:
        reasons[d.reason or "new"] = reasons.get(d.reason or "new", 0) + 1
        if d.duplicate_of is None:
            outcome["new"] += 1
        elif d.duplicate_of in real_ids:
            outcome["duplicate_of_stored_original"] += 1
        elif d.duplicate_of in tonight_ids:
            outcome["duplicate_in_tonight"] += 1
        else:
            outcome["duplicate_of_synthetic"] += 1
        cluster = night.cluster_of.get(d.article_id)
        if cluster in night.stored_clusters:
            outcome["variants_of_stored_originals"] += 1
            outcome["found_their_stored_original"] += d.duplicate_of == f"{cluster}-original"
    return {
        "db": str(db), "articles": len(tonight), "seconds": seconds, "articles_per_s": len(tonight) / seconds,
        "rss_start_mb": round(rss_start, 1), "rss_before_mb": round(rss_before, 1),
        "peak_before_mb": round(peak_before, 1), "peak_rss_mb": round(peak, 1), "vm_hwm_mb": round(hwm, 1),
        "rss_after_mb": round(rss_after, 1),
        "dedup_share_mb": round(peak - rss_before, 1),
        "index": {name: {"calls": index.calls[name], "seconds": round(index.seconds[name], 4),
                         "asked": index.asked[name], "returned": index.returned[name]} for name in index.calls},
        "band_rows": index.returned.get("band_matches", 0),
        "band_keys": index.asked.get("band_matches", 0),
        **counts,
        "texts_asked": len(index.text_ids), "texts_read": index.returned.get("texts", 0),
        "url_hits": len(index.url_hit_ids),
        "outcome": outcome, "reasons": reasons,
        "decisions": [[d.article_id, d.duplicate_of, d.reason, d.score] for d in decisions],
    }


def run_measure(db: Path, gold: Path, threshold: float, k: int) -> dict:
    """``measure`` in a fresh Python process (this script with --measure)."""
    with tempfile.TemporaryDirectory(prefix="bench-dedup-") as tmp:
        result = Path(tmp) / "result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--measure", str(db), "--result", str(result),
               "--gold", str(gold), "--threshold", str(threshold), "--k", str(k)]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0 or not result.is_file():
            raise RuntimeError(f"measuring {db} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        return json.loads(result.read_text())


# ---------------------------------------------------------------------------------------------
# The bench
# ---------------------------------------------------------------------------------------------


def parse_sizes(text: str) -> list[int]:
    sizes = []
    for part in text.split(","):
        p = part.strip().lower().replace("_", "")
        mult = {"k": 1_000, "m": 1_000_000}.get(p[-1:], 1)
        sizes.append(int(float(p[:-1] if mult > 1 else p) * mult))
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive integers: {text!r}")
    return sorted(set(sizes))


def generator_key(night: Night, size: int) -> dict:
    """What a cached warehouse must have been built with (a new migration means a rebuild too)."""
    from tasks.warehouse import migrations

    return {**GENERATOR, "size": size, "chunk": CHUNK, "originals": sorted(a.article_id for a in night.stored),
            "migrations": [name for _, name, _ in migrations()]}


def warehouse_paths(cache: Path, size: int) -> tuple[Path, Path]:
    return cache / f"stored-{size}.duckdb", cache / f"stored-{size}.json"


def ensure_warehouse(size: int, night: Night, args: argparse.Namespace) -> dict:
    """The cached warehouse for ``size`` (built first, in a child process, when missing, stale or
    ``--rebuild``); its sidecar."""
    db, sidecar = warehouse_paths(args.cache, size)
    key = generator_key(night, size)
    meta = json.loads(sidecar.read_text()) if sidecar.is_file() else None
    if db.is_file() and meta and meta.get("generator") == key and not args.rebuild:
        print(f"warehouse with {size:,} stored articles: cached {_display(db)} (built {meta['built']['built_at']} "
              f"in {meta['built']['build_seconds']} s; --rebuild to force)")
        return meta
    why = "--rebuild" if args.rebuild and db.is_file() else ("generator parameters changed" if db.is_file() else "not built yet")
    print(f"building the warehouse with {size:,} stored articles ({why}): {_display(db)}", flush=True)
    sidecar.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--build", str(size), "--cache", str(args.cache),
           "--gold", str(args.gold), "--corpus", str(args.corpus)]
    if args.threshold is not None:
        cmd += ["--threshold", str(args.threshold)]
    proc = subprocess.run(cmd, cwd=ROOT)
    if proc.returncode != 0 or not sidecar.is_file():
        raise RuntimeError(f"building {db} failed (exit {proc.returncode})")
    return json.loads(sidecar.read_text())


def build_child(size: int, args: argparse.Namespace, threshold: float, k: int) -> int:
    """Build one warehouse and its sidecar (the child process of ``ensure_warehouse``), so the
    measuring processes are not forked from a parent that held the build's memory."""
    night = load_night(args.gold)
    t0 = time.perf_counter()
    bg, bg_prints = background(args.corpus, args.gold, k)
    shape = shape_from_texts([a.text for a in bg], k)
    reference = reference_rates([fingerprint(a, k) for a in night.tonight], bg_prints, threshold)
    print(f"  synthetic material: {len(bg):,} BBC articles (not gold sources, near-duplicates removed), "
          f"{shape.pool.size:,} shingles shared by >= {GENERATOR['min_df']} of them; "
          f"{time.perf_counter() - t0:.0f} s", flush=True)
    db, sidecar = warehouse_paths(args.cache, size)
    built = build_warehouse(db, size, shape, night.stored, progress=lambda s: print(s, flush=True))
    built["material_seconds"] = round(time.perf_counter() - t0 - built["build_seconds"], 1)
    sidecar.write_text(json.dumps({"generator": generator_key(night, size), "built": built,
                                   "reference": reference}, indent=2) + "\n")
    print(f"  built in {built['build_seconds']} s (+ {built['material_seconds']} s reading the corpus): "
          f"{built['articles']:,} articles, {built['band_rows']:,} band rows, {built['file_mb']:,.0f} MB", flush=True)
    return 0


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def summarize(size: int, runs: list[dict], meta: dict) -> dict:
    first = runs[0]
    idx = lambda name, what: statistics.median(r["index"].get(name, {}).get(what, 0) for r in runs)  # noqa: E731
    return {
        "size": size, "runs": len(runs), "articles": first["articles"],
        "seconds_median": round(_median(runs, "seconds"), 3),
        "seconds_range": [round(min(r["seconds"] for r in runs), 3), round(max(r["seconds"] for r in runs), 3)],
        "articles_per_s": round(first["articles"] / _median(runs, "seconds"), 1),
        "rss_before_mb": _median(runs, "rss_before_mb"), "peak_rss_mb": _median(runs, "peak_rss_mb"),
        "dedup_share_mb": _median(runs, "dedup_share_mb"),
        "band_matches_seconds": round(idx("band_matches", "seconds"), 3),
        "signatures_seconds": round(idx("signatures", "seconds"), 3),
        "texts_seconds": round(idx("texts", "seconds"), 3),
        "find_url_calls": int(idx("find_urls", "calls")), "find_url_seconds": round(idx("find_urls", "seconds"), 3),
        "find_hash_calls": int(idx("find_hashes", "calls")), "find_hash_seconds": round(idx("find_hashes", "seconds"), 3),
        **{k: first[k] for k in ("band_keys", "band_rows", "candidates", "candidate_pairs",
                                 "candidate_pairs_synthetic", "survived", "survived_pairs",
                                 "survived_pairs_synthetic", "texts_asked",
                                 "texts_read", "url_hits", "outcome", "reasons")},
        "candidate_rate_synthetic": first["candidate_pairs_synthetic"] / (first["articles"] * meta["built"]["synthetic"])
        if meta["built"]["synthetic"] else None,
        "build": meta["built"],
    }


def table(summaries: list[dict], reference: dict | None) -> str:
    lo, hi = summaries[0], summaries[-1]
    ratio = len(summaries) > 1

    def row(label: str, values: list[str], r: str = "") -> str:
        return "| " + " | ".join([label, *values] + ([r] if ratio else [])) + " |"

    def ratio_of(a: float, b: float) -> str:
        return f"{b / a:.2f}×" if a else "–"

    head = ["measure"] + [f"{s['size']:,} stored" for s in summaries] + ([f"{hi['size']:,} / {lo['size']:,}"] if ratio else [])
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    S = summaries
    lines.append(row(f"articles/s through dedup_batch (median of {S[0]['runs']})",
                     [f"{s['articles_per_s']:,.0f}" for s in S], ratio_of(lo["articles_per_s"], hi["articles_per_s"])))
    lines.append(row("seconds per night (min–max)",
                     [f"{s['seconds_median']:.2f} ({s['seconds_range'][0]:.2f}–{s['seconds_range'][1]:.2f})" for s in S],
                     ratio_of(lo["seconds_median"], hi["seconds_median"])))
    lines.append(row("RSS before the call (MB)", [f"{s['rss_before_mb']:,.0f}" for s in S],
                     ratio_of(lo["rss_before_mb"], hi["rss_before_mb"])))
    lines.append(row("peak RSS (MB)", [f"{s['peak_rss_mb']:,.0f}" for s in S],
                     ratio_of(lo["peak_rss_mb"], hi["peak_rss_mb"])))
    lines.append(row("dedup's own share: peak − before (MB)", [f"{s['dedup_share_mb']:,.0f}" for s in S],
                     ratio_of(lo["dedup_share_mb"], hi["dedup_share_mb"])))
    lines.append(row("band_matches: 1 query, seconds", [f"{s['band_matches_seconds']:.2f}" for s in S],
                     ratio_of(lo["band_matches_seconds"], hi["band_matches_seconds"])))
    lines.append(row("band keys asked / (key, article) rows returned",
                     [f"{s['band_keys']:,} / {s['band_rows']:,}" for s in S]))
    lines.append(row("stored candidates from the band join: articles / pairs (of which synthetic)",
                     [f"{s['candidates']:,} / {s['candidate_pairs']:,} ({s['candidate_pairs_synthetic']:,})" for s in S],
                     ratio_of(lo["candidate_pairs"], hi["candidate_pairs"])))
    lines.append(row("survived the could_contain prefilter: articles / pairs (of which synthetic)",
                     [f"{s['survived']:,} / {s['survived_pairs']:,} ({s['survived_pairs_synthetic']:,})" for s in S]))
    lines.append(row("stored texts read", [f"{s['texts_read']:,}" for s in S]))
    lines.append(row("signatures: 1 query, seconds", [f"{s['signatures_seconds']:.2f}" for s in S],
                     ratio_of(lo["signatures_seconds"], hi["signatures_seconds"])))
    lines.append(row("texts: 1 query, seconds", [f"{s['texts_seconds']:.2f}" for s in S]))
    lines.append(row("URL and text-hash lookups: queries, seconds",
                     [f"{s['find_url_calls'] + s['find_hash_calls']:,}, {s['find_url_seconds'] + s['find_hash_seconds']:.2f}"
                      for s in S]))
    lines.append(row("warehouse file (MB) / build seconds",
                     [f"{s['build']['file_mb']:,.0f} / {s['build']['build_seconds']:,.0f}" for s in S]))
    out = "\n".join(lines)
    if reference:
        rates = ", ".join(f"{s['candidate_rate_synthetic']:.2e} ({s['size']:,})" for s in S
                          if s["candidate_rate_synthetic"] is not None)
        out += (f"\n\ncandidate pairs per (tonight article × stored article): synthetic {rates}; real BBC "
                f"background {reference['rate']:.2e} ({reference['stored']:,} articles; full-text keys "
                f"{reference['rate_full']:.2e}, lead keys {reference['rate_lead']:.2e}); "
                f"real candidates surviving the prefilter: {reference['survived_prefilter']} of "
                f"{reference['candidate_pairs']}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=parse_sizes, default=list(DEFAULT_SIZES),
                    help="stored articles per warehouse, comma-separated (10k, 1M also work; default: 10000,1000000)")
    ap.add_argument("--repeat", type=int, default=3, help="fresh-process runs per size (default: %(default)s)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the cached warehouses even if they are current")
    ap.add_argument("--gold", type=Path, default=GOLD, help="tonight's articles: the dedup gold (default: %(default)s)")
    ap.add_argument("--corpus", type=Path, default=CORPUS,
                    help="real texts the synthetic articles are drawn from (default: %(default)s)")
    ap.add_argument("--cache", type=Path, default=CACHE, help="where built warehouses are kept (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=OUT, help="JSON results (default: %(default)s)")
    ap.add_argument("--threshold", type=float, default=None, help="containment threshold (default: the settings')")
    ap.add_argument("--k", type=int, default=None, help="shingle size (default: the settings')")
    ap.add_argument("--build", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    for name in ("gold", "corpus", "cache", "out"):  # the child processes run in ROOT
        setattr(args, name, getattr(args, name).resolve())

    from tasks.settings import Settings

    settings = Settings()
    threshold = settings.near_dup_threshold if args.threshold is None else args.threshold
    k = settings.shingle_size if args.k is None else args.k
    if args.measure:  # the child process
        args.result.write_text(json.dumps(measure(args.measure, args.gold, threshold, k)))
        return 0
    if args.build:  # the child process that builds one warehouse
        return build_child(args.build, args, threshold, k)

    for path, what in ((args.gold / "articles.jsonl", "the dedup gold"), (args.corpus, "the BBC corpus")):
        if not path.is_file():
            print(f"error: {path} not found: {what} lives in ../shared (next to the repository); "
                  f"see --help", file=sys.stderr)
            return 2
    if args.repeat < 1:
        print("error: --repeat must be at least 1", file=sys.stderr)
        return 2
    if k != GENERATOR["shingle_size"]:
        print(f"error: the synthetic signatures are built with shingle size {GENERATOR['shingle_size']}", file=sys.stderr)
        return 2
    night = load_night(args.gold)
    if min(args.sizes) < len(night.stored):
        print(f"error: every size must hold at least the {len(night.stored)} real originals", file=sys.stderr)
        return 2
    print(f"tonight: {len(night.tonight):,} articles of {_display(args.gold)}; stored before tonight: "
          f"{len(night.stored)} real originals + synthetic articles; threshold {threshold}, k {k}")

    metas = {size: ensure_warehouse(size, night, args) for size in args.sizes}

    results: dict[int, list[dict]] = {}
    for size in args.sizes:
        db = warehouse_paths(args.cache, size)[0]
        for i in range(args.repeat):
            r = run_measure(db, args.gold, threshold, k)
            results.setdefault(size, []).append(r)
            print(f"{size:>9,} stored, run {i + 1}/{args.repeat}: {r['seconds']:.2f} s, {r['articles_per_s']:,.0f} "
                  f"articles/s, band_matches {r['index'].get('band_matches', {}).get('seconds', 0):.2f} s, "
                  f"{r['candidates']:,} stored candidates, peak RSS {r['peak_rss_mb']:,.0f} MB "
                  f"(before {r['rss_before_mb']:,.0f})", flush=True)

    # The decisions must not depend on how much is stored (nor on the run).
    base_size = args.sizes[0]
    base = results[base_size][0]["decisions"]
    checks = []
    ok = True
    for size in args.sizes:
        for i, r in enumerate(results[size]):
            if size == base_size and i == 0:
                continue
            diff = [(a, b) for a, b in zip(base, r["decisions"]) if a != b]
            same = not diff and len(base) == len(r["decisions"])
            ok &= same
            checks.append({"size": size, "run": i + 1, "equal": same, "differing": diff[:20]})
    synthetic_hits = max(r["outcome"]["duplicate_of_synthetic"] for rs in results.values() for r in rs)
    ok_synthetic = synthetic_hits == 0

    summaries = [summarize(size, results[size], metas[size]) for size in args.sizes]
    reference = metas[args.sizes[-1]].get("reference")
    print()
    print(table(summaries, reference))
    o = summaries[0]["outcome"]
    print(f"\ndecisions: {o['new']:,} new, {o['duplicate_of_stored_original']:,} duplicates of a stored original "
          f"({o['found_their_stored_original']:,} of the {o['variants_of_stored_originals']:,} variants of stored "
          f"originals found theirs), {o['duplicate_in_tonight']:,} duplicates within tonight, "
          f"{o['duplicate_of_synthetic']} of a synthetic article; reasons {summaries[0]['reasons']}")
    for size in args.sizes[1:]:
        eq = all(c["equal"] for c in checks if c["size"] == size)
        print(f"decisions against {size:,} stored == decisions against {base_size:,} stored: "
              f"{'yes' if eq else 'NO'} ({len(base):,} decisions, {args.repeat} run(s) each)")
    if not all(c["equal"] for c in checks if c["size"] == base_size):
        print(f"decisions differ between runs against {base_size:,} stored")
    if not ok_synthetic:
        print(f"FAIL: {synthetic_hits} decision(s) name a synthetic article")
    if len(summaries) > 1:
        lo, hi = summaries[0], summaries[-1]
        print(f"growth from {lo['size']:,} to {hi['size']:,} stored: articles/s × "
              f"{hi['articles_per_s'] / lo['articles_per_s']:.2f}, peak RSS × {hi['peak_rss_mb'] / lo['peak_rss_mb']:.2f}"
              f" (dedup's own share × {hi['dedup_share_mb'] / lo['dedup_share_mb']:.2f})")

    versions = {p: metadata.version(p) for p in ("duckdb", "numpy")}
    result = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), **versions},
        "command": " ".join([Path(sys.executable).name, _display(Path(__file__))] + (argv if argv is not None else sys.argv[1:])),
        "tonight": {"source": _display(args.gold / "articles.jsonl"), "articles": len(night.tonight),
                    "stored_originals": len(night.stored)},
        "threshold": threshold, "k": k, "generator": GENERATOR, "reference_real_bbc": reference,
        "summaries": summaries,
        "decisions_equal": ok, "decisions_checks": checks, "decisions_naming_synthetic": synthetic_hits,
        "runs": {str(size): [{kk: v for kk, v in r.items() if kk != "decisions"} for r in rs]
                 for size, rs in results.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {_display(args.out)}")
    return 0 if ok and ok_synthetic else 1


if __name__ == "__main__":
    raise SystemExit(main())
