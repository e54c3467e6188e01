"""Dedup: URL, exact-text and near-duplicate detection (MinHash LSH + containment).

Pure core over typed records; the Prefect tasks at the end are thin wrappers.

Every article goes through three checks, in order:

1. ``url``   -- same canonical URL (``canonical_url``) as an article already seen;
2. ``exact`` -- same hash of the normalized text (``text_hash``);
3. ``near``  -- MinHash LSH candidates (articles sharing at least one band key), confirmed by
   *containment*: the share of the shorter text's word shingles found in the longer text.
   Containment rather than Jaccard, because syndicated copies are often truncated (a copy
   with 40% of the paragraphs has Jaccard ~0.4 but containment ~1.0).

Everything that ends up in the warehouse (text hashes, band keys) is computed with stable
hashes (sha256 / blake2b, fixed seeds) -- never Python's salted ``hash()`` -- so keys written
one night still match the next night, in another process.

Parameters (see the module constants): word 3-shingles (``Settings.shingle_size``),
128 MinHash permutations, 64 bands x 2 rows (LSH S-curve threshold ~ (1/64)**(1/2) ~ 0.125
Jaccard, so truncated copies still become candidates), containment threshold 0.8
(``Settings.near_dup_threshold``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Iterable, Protocol, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.log import run_logger
from tasks.records import Article, DedupDecision, Fingerprint
from tasks.settings import Settings

# --------------------------------------------------------------------------- URLs

#: Query parameters that only track where a click came from; dropped by ``canonical_url``.
#: Compared case-insensitively. Everything else (``id``, ``p``, ``articleId``, ``page``, ...)
#: is content and kept.
TRACKING_PARAMS: frozenset[str] = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "twclid", "ttclid", "li_fat_id",
    "igshid", "igsh", "ocid", "cmpid", "cmp", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi",
    "ref", "ref_src", "ref_url", "referrer", "src", "source", "feature", "smid", "smtyp",
    "ito", "xtor", "icid", "s_cid", "mkt_tok", "wt.mc_id", "cid", "share", "spm", "rss",
})
#: Query-parameter prefixes that mark tracking parameters (``utm_source``, ``ns_mchannel``,
#: ``at_medium``, ``pk_campaign``, ...). Compared case-insensitively.
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "ns_", "at_", "pk_", "mtm_", "wt.", "hsa_", "oly_")

_DEFAULT_PORTS = {80, 443}


def _is_tracking(name: str) -> bool:
    n = name.lower()
    return n in TRACKING_PARAMS or n.startswith(TRACKING_PREFIXES)


def canonical_url(url: str | None) -> str | None:
    """The normalized form of an article URL, or None for None/empty/unparseable input.

    https (http is folded into it), lower-case host without ``www.``, no default port, no
    user info, no fragment, no trailing slash (the root stays "/"), query parameters sorted
    with tracking parameters (``TRACKING_PARAMS`` / ``TRACKING_PREFIXES``) removed. Only http(s)
    URLs (or scheme-relative ``//host/...``) are accepted. Never raises.
    """
    try:
        if not isinstance(url, str):
            return None
        url = url.strip()
        if not url or any(c.isspace() for c in url):
            return None
        if url.startswith("//"):
            url = "https:" + url
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            return None
        host = (parts.hostname or "").rstrip(".")
        if not host or not re.fullmatch(r"[\w.\-:\[\]%]+", host):
            return None
        while host.startswith("www."):
            host = host[4:]
        if not host or host.startswith(".") or ".." in host:
            return None
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        port = parts.port  # ValueError for a bad port, caught below
        netloc = host if port is None or port in _DEFAULT_PORTS else f"{host}:{port}"
        path = re.sub(r"/{2,}", "/", parts.path or "/")
        if len(path) > 1:
            path = path.rstrip("/") or "/"
        params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
        query = urlencode(sorted(params))
        return urlunsplit(("https", netloc, path, query, ""))
    except Exception:  # noqa: BLE001 -- "never raises" is the contract
        return None


# --------------------------------------------------------------------------- text

_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\ufe58": "-", "\ufe63": "-", "\uff0d": "-",
    "\u00a0": " ", "\u200b": "", "\u00ad": "", "\ufeff": "",
})
_SPACES = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Case-folded text with quotes, apostrophes and dashes unified and whitespace collapsed."""
    t = text or ""
    if not unicodedata.is_normalized("NFKC", t):
        t = unicodedata.normalize("NFKC", t)
    return _SPACES.sub(" ", t.translate(_QUOTES).casefold()).strip()


def text_hash(text: str) -> str:
    """sha256 hex digest of ``normalize_text(text)``."""
    return _hash_normalized(normalize_text(text))


def _hash_normalized(norm: str) -> str:
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


# Number styles that copy-editors change ("12%" / "12 percent" / "12 per cent", "£5bn" /
# "£5 billion", "£5m" / "£5 million"): folded for shingling only (not for text_hash).
_UNIT = re.compile(r"(?<=\d)(%| ?per cent\b| ?pct\b|bn\b|tn\b|m\b)")
_UNIT_WORDS = {"%": " percent", "per cent": " percent", "pct": " percent", "bn": " billion",
               "tn": " trillion", "m": " million"}
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|\w+")


def tokens(text: str) -> list[str]:
    """The word tokens shingles are made of: normalized, number styles folded, punctuation dropped."""
    return _tokens_normalized(normalize_text(text))


def _tokens_normalized(norm: str) -> list[str]:
    return _TOKEN.findall(_UNIT.sub(lambda m: _UNIT_WORDS[m.group(1).lstrip()], norm))


@lru_cache(maxsize=1 << 17)
def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


_FNV_PRIME = np.uint64(0x100000001B3)


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer (vectorised; uint64 arithmetic wraps mod 2**64 by design)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def shingles(text: str, k: int) -> np.ndarray:
    """Sorted unique uint64 hashes of the word k-shingles of the normalized text.

    Tokens are hashed with blake2b-8 and combined FNV-style over the window, vectorised, then
    mixed (splitmix64); stable across processes and machines. A text with fewer than k words
    gives one shingle of all its words; an empty text gives an empty array.
    """
    return _shingles_normalized(normalize_text(text), k)


def _shingles_normalized(norm: str, k: int) -> np.ndarray:
    if k < 1:
        raise ValueError(f"shingle size must be >= 1, got {k}")
    toks = _tokens_normalized(norm)
    if not toks:
        return np.empty(0, dtype=np.uint64)
    ids = np.fromiter(map(_token_hash, toks), dtype=np.uint64, count=len(toks))
    n = max(len(ids) - k + 1, 1)
    h = np.full(n, 0xCBF29CE484222325, dtype=np.uint64)
    for j in range(min(k, len(ids))):
        h = (h ^ ids[j:j + n]) * _FNV_PRIME  # uint64 arrays wrap mod 2**64 (no warning)
    return np.unique(_mix64(h))


# --------------------------------------------------------------------------- MinHash / LSH

NUM_PERM = 128
BANDS = 64  # x 2 rows
_PRIME = np.uint64((1 << 31) - 1)  # Mersenne prime 2**31 - 1
_EMPTY = np.uint64((1 << 64) - 1)  # signature value of an empty shingle set
_SEED = 20240611  # fixed: signatures (and band keys) are stored across nights


@lru_cache(maxsize=8)
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed (a, b) of the num_perm hash functions, as column vectors."""
    rng = np.random.default_rng(_SEED)
    a = rng.integers(1, (1 << 31) - 1, size=(num_perm, 1), dtype=np.uint64)
    b = rng.integers(0, (1 << 31) - 1, size=(num_perm, 1), dtype=np.uint64)
    return a, b


def minhash(shingle_hashes: np.ndarray, num_perm: int = NUM_PERM) -> np.ndarray:
    """MinHash signature (uint64[num_perm], values < 2**31) of a set of uint64 shingle hashes.

    Universal hashing h_i(x) = (a_i * x + b_i) mod (2**31 - 1) with a fixed seed for (a_i, b_i),
    over the shingle hashes folded to 32 bits; a_i, b_i < 2**31 and x < 2**32 keep a*x + b below
    2**64, so plain uint64 arithmetic is exact. The Mersenne modulus is reduced with shifts and
    masks, in one (num_perm x n) numpy pass. An empty set gives a signature of all 2**64-1.
    """
    x = np.asarray(shingle_hashes, dtype=np.uint64)
    if x.size == 0:
        return np.full(num_perm, _EMPTY, dtype=np.uint64)
    x32 = (x >> np.uint64(32)) ^ (x & np.uint64(0xFFFFFFFF))
    a, b = _permutations(num_perm)
    p, s = _PRIME, np.uint64(31)
    h = a * x32 + b  # < 2**63 + 2**31
    h = (h & p) + (h >> s)  # < 2**33
    h = (h & p) + (h >> s)  # < 2**31 + 4
    h = np.where(h >= p, h - p, h)  # exactly (a*x + b) mod p
    return h.min(axis=1)


def band_keys(signature: np.ndarray, bands: int = BANDS) -> tuple[str, ...]:
    """LSH band keys ``"b07:3fa2c9e1d0b4a6f8"``: band number and blake2b-8 of the band's rows.

    Stable across processes. An empty signature (empty text) gives no keys.
    """
    sig = np.asarray(signature, dtype=np.uint64)
    if sig.size == 0 or bands < 1 or sig.size % bands:
        raise ValueError(f"signature of length {sig.size} cannot be split into {bands} bands")
    if bool((sig == _EMPTY).all()):
        return ()
    rows = sig.size // bands
    raw = sig.astype("<u8").tobytes()
    step = rows * 8
    return tuple(
        f"b{i:02d}:{hashlib.blake2b(raw[i * step:(i + 1) * step], digest_size=8).hexdigest()}"
        for i in range(bands)
    )


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    if a.size == 0 or b.size == 0:
        return 0.0
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / min(a.size, b.size)


def containment(a: str, b: str, k: int) -> float:
    """Share of the shorter text's k-shingles (by count) that also occur in the other text.

    0.0 when either text has no words.
    """
    return _overlap(shingles(a, k), shingles(b, k))


# --------------------------------------------------------------------------- indexes


class DedupIndex(Protocol):
    """What dedup needs from the store of earlier articles (the warehouse, or memory)."""

    def find_url(self, canonical_url: str) -> str | None:
        """article_id of an already-stored (original) article with this canonical URL."""
        ...

    def find_hash(self, text_hash: str) -> str | None:
        """article_id of an already-stored (original) article with this text hash."""
        ...

    def candidates(self, band_keys: Sequence[str]) -> list[tuple[str, str]]:
        """(article_id, text) of stored articles sharing at least one band key."""
        ...


class MemoryIndex:
    """A DedupIndex in memory: the first article added wins a URL or a text hash."""

    def __init__(self) -> None:
        self._urls: dict[str, str] = {}
        self._hashes: dict[str, str] = {}
        self._bands: dict[str, list[str]] = {}
        self._texts: dict[str, str] = {}

    def add(self, fp: Fingerprint, text: str) -> None:
        if fp.article_id in self._texts:
            return
        self._texts[fp.article_id] = text
        if fp.canonical_url:
            self._urls.setdefault(fp.canonical_url, fp.article_id)
        self._hashes.setdefault(fp.text_hash, fp.article_id)
        for key in fp.band_keys:
            self._bands.setdefault(key, []).append(fp.article_id)

    def __len__(self) -> int:
        return len(self._texts)

    def find_url(self, canonical_url: str) -> str | None:
        return self._urls.get(canonical_url)

    def find_hash(self, text_hash: str) -> str | None:
        return self._hashes.get(text_hash)

    def candidates(self, band_keys: Sequence[str]) -> list[tuple[str, str]]:
        seen: dict[str, None] = {}
        for key in band_keys:
            for aid in self._bands.get(key, ()):
                seen.setdefault(aid, None)
        return [(aid, self._texts[aid]) for aid in seen]


class _Overlay:
    """The given (older) index first, then this batch's articles (a MemoryIndex)."""

    def __init__(self, base: DedupIndex, batch: MemoryIndex):
        self.base, self.batch = base, batch

    def find_url(self, canonical_url: str) -> str | None:
        return self.base.find_url(canonical_url) or self.batch.find_url(canonical_url)

    def find_hash(self, text_hash: str) -> str | None:
        return self.base.find_hash(text_hash) or self.batch.find_hash(text_hash)

    def candidates(self, band_keys: Sequence[str]) -> list[tuple[str, str]]:
        found = dict(self.base.candidates(band_keys))
        for aid, text in self.batch.candidates(band_keys):
            found.setdefault(aid, text)
        return list(found.items())


# --------------------------------------------------------------------------- dedup


def fingerprint(article: Article, k: int = 3) -> Fingerprint:
    """Canonical URL (of ``article.canonical_url or article.url``), text hash and band keys."""
    return _fingerprint(article, k)[0]


def _fingerprint(article: Article, k: int) -> tuple[Fingerprint, np.ndarray]:
    """The fingerprint and the shingles (normalizing the text once for both)."""
    norm = normalize_text(article.text)
    sh = _shingles_normalized(norm, k)
    url = canonical_url(article.canonical_url) or canonical_url(article.url)
    return Fingerprint(article.article_id, url, _hash_normalized(norm), band_keys(minhash(sh))), sh


def _title_key(title: str | None) -> str | None:
    return normalize_text(title) if title else None


def dedup_batch(
    articles: Sequence[Article], index: DedupIndex, *, threshold: float = 0.8, k: int = 3
) -> tuple[list[DedupDecision], list[Fingerprint]]:
    """Decide, in order, whether each article duplicates a stored or an earlier in-batch one.

    Checks: same canonical URL -> ``"url"``; same normalized-text hash -> ``"exact"``
    (score 1.0); else LSH candidates (from ``index`` and from earlier articles of this batch)
    whose containment with the article is >= ``threshold`` -> ``"near"`` with the best
    containment as score (ties: same title first, then the earliest candidate).

    A same-URL article with *different* text is an update of the stored one; for now it is a
    ``"url"`` duplicate (score None) -- versions come later.

    ``duplicate_of`` always names an original: when the matched article is itself an in-batch
    duplicate, the decision follows it to its original. ``index`` is only read. Returns one
    decision per article (same order) and a fingerprint for every article, duplicates too.
    """
    batch = MemoryIndex()
    overlay = _Overlay(index, batch)
    root: dict[str, str] = {}  # in-batch article_id -> its original
    titles: dict[str, str | None] = {}
    cache: dict[str, np.ndarray] = {}  # article_id -> shingles (in-batch and index candidates)
    done: dict[str, tuple[DedupDecision, Fingerprint]] = {}
    decisions: list[DedupDecision] = []
    fingerprints: list[Fingerprint] = []

    for art in articles:
        aid = art.article_id
        if aid in done:  # the same article twice in one batch: same answer, never itself
            d, fp = done[aid]
            decisions.append(d)
            fingerprints.append(fp)
            continue
        fp, sh = _fingerprint(art, k)
        decision = _decide(art, fp, sh, overlay, root, titles, cache, threshold, k)
        root[aid] = decision.duplicate_of or aid
        titles[aid] = _title_key(art.title)
        cache[aid] = sh
        batch.add(fp, art.text)
        done[aid] = (decision, fp)
        decisions.append(decision)
        fingerprints.append(fp)
    return decisions, fingerprints


def _decide(
    art: Article, fp: Fingerprint, sh: np.ndarray, index: DedupIndex, root: dict[str, str],
    titles: dict[str, str | None], cache: dict[str, np.ndarray], threshold: float, k: int,
) -> DedupDecision:
    aid = art.article_id

    def original(other: str | None) -> str | None:
        if other is None:
            return None
        r = root.get(other, other)
        return None if r == aid else r

    if fp.canonical_url:
        hit = original(index.find_url(fp.canonical_url))
        if hit:
            return DedupDecision(aid, hit, "url", None)
    hit = original(index.find_hash(fp.text_hash))
    if hit:
        return DedupDecision(aid, hit, "exact", 1.0)
    if not fp.band_keys:
        return DedupDecision(aid, None, None, None)

    title = _title_key(art.title)
    best: tuple[float, bool, int] | None = None
    best_id: str | None = None
    for order, (cid, ctext) in enumerate(index.candidates(fp.band_keys)):
        target = original(cid)
        if target is None:
            continue
        csh = cache.get(cid)
        if csh is None:
            csh = cache[cid] = shingles(ctext, k)
        score = _overlap(sh, csh)
        if score < threshold:
            continue
        key = (round(score, 9), bool(title) and titles.get(cid) == title, -order)
        if best is None or key > best:
            best, best_id = key, target
    if best is None:
        return DedupDecision(aid, None, None, None)
    return DedupDecision(aid, best_id, "near", round(best[0], 6))


def unique_articles(articles: Iterable[Article], decisions: Iterable[DedupDecision]) -> list[Article]:
    """The articles that are not duplicates (in the given order)."""
    dup = {d.article_id for d in decisions if d.duplicate_of}
    return [a for a in articles if a.article_id not in dup]


def reason_counts(decisions: Iterable[DedupDecision]) -> dict[str, int]:
    """How many articles were new and how many were duplicates per reason."""
    c = Counter(d.reason or "new" for d in decisions)
    return {r: c.get(r, 0) for r in ("new", "url", "exact", "near")}


# --------------------------------------------------------------------------- Prefect tasks


@task(name="dedup-warehouse", cache_policy=NO_CACHE)
def dedup_warehouse_task(
    articles: list[Article], settings: Settings
) -> tuple[list[DedupDecision], list[Fingerprint]]:
    from tasks.warehouse import WarehouseIndex  # lazy: the pure core does not need DuckDB

    with WarehouseIndex(settings.db_path) as index:
        return dedup_task.fn(articles, index, settings.near_dup_threshold, settings.shingle_size)


@task(name="dedup", cache_policy=NO_CACHE)
def dedup_task(
    articles: list[Article], index: DedupIndex, threshold: float = 0.8, k: int = 3
) -> tuple[list[DedupDecision], list[Fingerprint]]:
    decisions, fingerprints = dedup_batch(articles, index, threshold=threshold, k=k)
    run_logger().info("dedup: %d articles, %s", len(decisions), reason_counts(decisions))
    return decisions, fingerprints
