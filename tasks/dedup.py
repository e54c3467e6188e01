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
from dataclasses import dataclass, replace
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Collection, Iterable, Protocol, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.log import run_logger
from tasks.records import Article, DedupDecision, Fingerprint, Slice
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


#: Wire services and syndication hubs whose article a partner's page may name as its canonical
#: (rel=canonical / og:url): a copy that points there joins the wire story by URL. Any other
#: canonical must be on the article's own site to be honoured (a canonical that points at
#: another site is more often a template bug or an aggregator than a true original).
SYNDICATION_SOURCES: frozenset[str] = frozenset({
    "apnews.com", "reuters.com", "afp.com", "upi.com", "bloomberg.com", "aap.com.au", "pa.media",
    "dpa-international.com", "efe.com", "ansa.it", "xinhuanet.com", "news.cn", "tass.com", "kyodonews.net",
    "yna.co.kr", "aa.com.tr", "bbc.co.uk", "bbc.com", "nytimes.com", "washingtonpost.com",
    "theconversation.com", "cnn.com", "guardian.co.uk", "theguardian.com",
})

_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "go"}


def site_of(url_key: str | None) -> str | None:
    """The registrable domain of a canonical URL ("https://news.bbc.co.uk/x" -> "bbc.co.uk")."""
    if not url_key:
        return None
    host = (urlsplit(url_key).hostname or "").lower()
    parts = host.split(".")
    if len(parts) >= 3 and parts[-2] in _SECOND_LEVEL and len(parts[-1]) == 2:
        return ".".join(parts[-3:])
    return ".".join(parts[-2:]) if len(parts) >= 2 else host or None


def dedup_url(article: Article) -> str | None:
    """The URL dedup compares: the page's declared canonical (``rel=canonical`` / ``og:url``) when
    it is on the article's own site or on a known syndication source (``SYNDICATION_SOURCES``),
    else the article's own URL; normalized by ``canonical_url``."""
    own = canonical_url(article.url)
    declared = canonical_url(article.canonical_url)
    if declared and (own is None or site_of(declared) == site_of(own) or site_of(declared) in SYNDICATION_SOURCES):
        return declared
    return own


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


_BAND_SALT = np.uint64(0x9E3779B97F4A7C15)
_LEAD_SALT = np.uint64(0x632BE59BD9B4E019)


def band_keys(signature: np.ndarray, bands: int = BANDS, salt: np.uint64 = _BAND_SALT) -> tuple[int, ...]:
    """LSH band keys: one signed 64-bit integer per band, a splitmix64 hash of the band's number
    and its rows (so equal rows in different bands give different keys).

    Stable across processes and machines (numpy uint64 arithmetic, fixed salts). An empty
    signature (empty text) gives no keys. Integers, not strings: the warehouse stores one row per
    key and article (about 80 per article), so 8 bytes each keeps a million articles' keys small.
    """
    sig = np.asarray(signature, dtype=np.uint64)
    if sig.size == 0 or bands < 1 or sig.size % bands:
        raise ValueError(f"signature of length {sig.size} cannot be split into {bands} bands")
    if bool((sig == _EMPTY).all()):
        return ()
    rows = sig.reshape(bands, sig.size // bands)
    h = _mix64(np.arange(bands, dtype=np.uint64) ^ salt)
    for j in range(rows.shape[1]):
        h = _mix64(h ^ rows[:, j])
    return tuple(h.view(np.int64).tolist())


#: A stored article is a candidate when it shares at least this many band keys (full-text and
#: lead bands together) with tonight's: with a million stored articles, ~96% of the pairs that
#: share a key share exactly one, by chance.
MIN_SHARED_BANDS = 2
#: ... except for a text this short (in shingles), whose few bands rarely collide twice even with
#: its own original (a 17-word stub of a 650-word story shares one band).
SHORT_TEXT_SHINGLES = 50

#: Extra band keys over the first LEAD_WORDS words, so that a copy cut to its first sentences
#: (Jaccard with the full text ~0.03, containment 1.0) still becomes a candidate.
LEAD_WORDS = 40
LEAD_BANDS = 16  # x 2 rows of a 32-permutation signature


def lead_band_keys(norm: str, k: int) -> tuple[int, ...]:
    """Band keys of the MinHash of the first ``LEAD_WORDS`` words' k-shingles (a separate key space)."""
    lead = " ".join(norm.split(" ", LEAD_WORDS)[:LEAD_WORDS])
    sh = _shingles_normalized(lead, k)
    if sh.size == 0:
        return ()
    return band_keys(minhash(sh, 2 * LEAD_BANDS), LEAD_BANDS, _LEAD_SALT)


def signature_bytes(signature: np.ndarray) -> bytes:
    """The signature as stored in the warehouse (little-endian uint64)."""
    return np.asarray(signature, dtype="<u8").tobytes()


def signature_from_bytes(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u8").astype(np.uint64)


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Share of equal MinHash values: an unbiased estimate of the Jaccard similarity."""
    if a.size == 0 or a.size != b.size:
        return 0.0
    return float(np.count_nonzero(a == b)) / a.size


def could_contain(j_est: float, n_a: int, n_b: int, threshold: float, margin: float = 0.15) -> bool:
    """Whether two texts with ``n_a`` and ``n_b`` shingles and estimated Jaccard ``j_est`` can
    reach containment ``threshold``: containment c of the smaller set in the larger implies
    Jaccard >= c*s / (l + s - c*s). ``margin`` covers the estimate's error (with 128
    permutations its standard deviation is at most 0.045), so a true match is not dropped.
    """
    s, l = sorted((max(n_a, 0), max(n_b, 0)))
    if s == 0:
        return False
    j_min = threshold * s / (l + s - threshold * s)
    return j_est >= j_min - margin


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
    """What dedup needs from the store of earlier articles (the warehouse, or memory).

    Every method takes the whole night's keys at once, so the warehouse answers each with one
    keyed query, and only the few articles that share a band key with tonight's are read.
    """

    def find_urls(self, url_keys: Collection[str]) -> dict[str, str]:
        """For each canonical URL that a stored article has, the original it belongs to (itself,
        or the article it duplicates)."""
        ...

    def find_hashes(self, text_hashes: Collection[str]) -> dict[str, str]:
        """For each normalized-text hash that a stored article has, the original it belongs to."""
        ...

    def band_matches(self, keys: Collection[int]) -> dict[int, list[str]]:
        """Stored original articles per LSH band key, for the keys that have any."""
        ...

    def signatures(self, article_ids: Collection[str]) -> dict[str, tuple[np.ndarray, int]]:
        """(MinHash signature, number of shingles) of stored articles."""
        ...

    def texts(self, article_ids: Collection[str]) -> dict[str, str]:
        """The text of stored articles."""
        ...


class MemoryIndex:
    """A DedupIndex in memory: the first article added wins a URL or a text hash (for its original)."""

    def __init__(self) -> None:
        self._urls: dict[str, str] = {}
        self._hashes: dict[str, str] = {}
        self._bands: dict[int, list[str]] = {}
        self._texts: dict[str, str] = {}
        self._sigs: dict[str, tuple[np.ndarray, int]] = {}

    def add(self, fp: Fingerprint, text: str, duplicate_of: str | None = None) -> None:
        """Store an article; a duplicate only lends its text hash (to its original)."""
        if fp.article_id in self._texts:
            return
        self._texts[fp.article_id] = text
        self._hashes.setdefault(fp.text_hash, duplicate_of or fp.article_id)
        if fp.canonical_url:
            self._urls.setdefault(fp.canonical_url, duplicate_of or fp.article_id)
        if duplicate_of:
            return
        self._sigs[fp.article_id] = (signature_from_bytes(fp.signature), fp.shingle_count)
        for key in fp.band_keys:
            self._bands.setdefault(key, []).append(fp.article_id)

    def __len__(self) -> int:
        return len(self._texts)

    def find_url(self, url_key: str) -> str | None:
        return self._urls.get(url_key)

    def find_hash(self, text_hash: str) -> str | None:
        return self._hashes.get(text_hash)

    def find_urls(self, url_keys: Collection[str]) -> dict[str, str]:
        return {u: self._urls[u] for u in url_keys if u in self._urls}

    def find_hashes(self, text_hashes: Collection[str]) -> dict[str, str]:
        return {h: self._hashes[h] for h in text_hashes if h in self._hashes}

    def band_matches(self, keys: Collection[int]) -> dict[int, list[str]]:
        return {k: list(self._bands[k]) for k in keys if k in self._bands}

    def signatures(self, article_ids: Collection[str]) -> dict[str, tuple[np.ndarray, int]]:
        return {a: self._sigs[a] for a in article_ids if a in self._sigs}

    def texts(self, article_ids: Collection[str]) -> dict[str, str]:
        return {a: self._texts[a] for a in article_ids if a in self._texts}


# --------------------------------------------------------------------------- dedup


def fingerprint(article: Article, k: int = 3) -> Fingerprint:
    """Canonical URL (``dedup_url``), text hash, MinHash signature and LSH band keys."""
    return _fingerprint(article, k)[0]


def _fingerprint(article: Article, k: int) -> tuple[Fingerprint, np.ndarray]:
    """The fingerprint and the shingles (normalizing the text once for both)."""
    norm = normalize_text(article.text)
    sh = _shingles_normalized(norm, k)
    sig = minhash(sh)
    keys = band_keys(sig)
    if keys:
        keys += lead_band_keys(norm, k)
    fp = Fingerprint(article.article_id, dedup_url(article), _hash_normalized(norm), keys,
                     signature_bytes(sig), int(sh.size))
    return fp, sh


def _title_key(title: str | None) -> str | None:
    return normalize_text(title) if title else None


def _lead_key(text: str, words: int = 25) -> str:
    """The first words of the normalized text: two copies with the same lead paragraph agree."""
    return " ".join(normalize_text(text[:2000]).split(" ")[:words])


def dedup_batch(
    articles: Sequence[Article], index: DedupIndex, *, threshold: float = 0.8, k: int = 3,
    fingerprints: Sequence[Fingerprint] | None = None,
) -> tuple[list[DedupDecision], list[Fingerprint]]:
    """Decide, in order, whether each article duplicates a stored or an earlier in-batch one.

    Checks, in order:

    - same canonical URL (``dedup_url``) as an original: ``"url"`` when the text is one already
      seen for that story, else ``"version"`` (an update: new text under the same URL), with the
      containment of the two texts as score;
    - same normalized-text hash: ``"exact"`` (score 1.0);
    - LSH candidates (stored, and earlier in this batch) whose estimated Jaccard leaves room for
      the threshold (``could_contain``), confirmed by containment >= ``threshold``: ``"near"``
      with the best containment as score. Ties go to the candidate with the same title, then
      the one with the same lead (first 25 words), then the earliest.

    ``duplicate_of`` always names an original: when the matched article is itself an in-batch
    duplicate, the decision follows it to its original. ``index`` is only read, with one call per
    kind of lookup for the whole batch. Returns one decision per article (same order) and a
    fingerprint for every article, duplicates too. ``fingerprints`` (one per article, from
    ``fingerprint``) may be computed beforehand, in parallel: the decisions are the same, and an
    article's shingles are then only computed when it has a candidate to compare with.
    """
    if fingerprints is None:
        prints: list[tuple[Fingerprint, np.ndarray | None]] = [_fingerprint(a, k) for a in articles]
    else:
        if len(fingerprints) != len(articles):
            raise ValueError(f"{len(fingerprints)} fingerprints for {len(articles)} articles")
        prints = [(fp, None) for fp in fingerprints]
    # Stored candidates for the whole batch: band keys -> ids -> signatures -> texts (survivors only).
    all_keys = {key for fp, _ in prints for key in fp.band_keys}
    stored = index.band_matches(all_keys) if all_keys else {}
    per_article: list[list[str]] = []
    for fp, _ in prints:
        shared: Counter = Counter()
        for key in fp.band_keys:
            shared.update(stored.get(key, ()))
        need = 1 if fp.shingle_count < SHORT_TEXT_SHINGLES else MIN_SHARED_BANDS
        per_article.append([cid for cid, n in shared.items() if n >= need])
    ids = {cid for cands in per_article for cid in cands}
    sigs = index.signatures(ids) if ids else {}
    kept: list[list[str]] = []
    for (fp, _), cands in zip(prints, per_article):
        sig = signature_from_bytes(fp.signature)
        kept.append([c for c in cands if c in sigs and could_contain(
            estimated_jaccard(sig, sigs[c][0]), fp.shingle_count, sigs[c][1], threshold)])
    url_hits = index.find_urls({fp.canonical_url for fp, _ in prints if fp.canonical_url})
    hash_hits = index.find_hashes({fp.text_hash for fp, _ in prints})
    wanted = {c for cands in kept for c in cands} | {h for h in url_hits.values() if h}
    texts = index.texts(wanted) if wanted else {}

    batch = MemoryIndex()
    root: dict[str, str] = {}  # in-batch article_id -> its original
    titles: dict[str, str | None] = {}
    leads: dict[str, str] = {}
    cache: dict[str, np.ndarray] = {}  # article_id -> shingles
    done: dict[str, tuple[DedupDecision, Fingerprint]] = {}
    decisions: list[DedupDecision] = []
    fingerprints: list[Fingerprint] = []

    for art, (fp, sh), stored_cands in zip(articles, prints, kept):
        aid = art.article_id
        if aid in done:  # the same article twice in one batch: same answer, never itself
            d, fp0 = done[aid]
            decisions.append(d)
            fingerprints.append(fp0)
            continue

        def original(other: str | None) -> str | None:
            if other is None:
                return None
            r = root.get(other, other)
            return None if r == aid else r

        def shingles_of(cid: str) -> np.ndarray | None:
            if cid not in cache:
                text = texts.get(cid)
                if text is None:
                    return None
                cache[cid] = shingles(text, k)
            return cache[cid]

        texts.setdefault(aid, art.text)

        def own() -> np.ndarray:
            return sh if sh is not None else shingles_of(aid)  # type: ignore[return-value]

        decision = None
        if fp.canonical_url:
            hit = original(url_hits.get(fp.canonical_url) or batch.find_url(fp.canonical_url))
            if hit:
                same_text = original(hash_hits.get(fp.text_hash) or batch.find_hash(fp.text_hash))
                if same_text == hit:
                    decision = DedupDecision(aid, hit, "url", None)
                else:
                    other = shingles_of(hit)
                    score = round(_overlap(own(), other), 6) if other is not None else None
                    decision = DedupDecision(aid, hit, "version", score)
        if decision is None:
            hit = original(hash_hits.get(fp.text_hash) or batch.find_hash(fp.text_hash))
            if hit:
                decision = DedupDecision(aid, hit, "exact", 1.0)
        if decision is None and fp.band_keys:
            sig = signature_from_bytes(fp.signature)
            cands = list(stored_cands)
            shared: Counter = Counter()
            for ids in batch.band_matches(fp.band_keys).values():
                shared.update(ids)
            bsizes = batch.signatures(shared)
            cands.extend(cid for cid, n in shared.items()
                          if n >= (1 if min(fp.shingle_count, bsizes[cid][1]) < SHORT_TEXT_SHINGLES else MIN_SHARED_BANDS))
            bsigs = batch.signatures(cands)
            title = _title_key(art.title)
            lead = _lead_key(art.text)
            best: tuple[float, bool, bool, int] | None = None
            best_id: str | None = None
            for order, cid in enumerate(dict.fromkeys(cands)):
                target = original(cid)
                if target is None:
                    continue
                if cid in bsigs and not could_contain(estimated_jaccard(sig, bsigs[cid][0]), fp.shingle_count,
                                                      bsigs[cid][1], threshold):
                    continue
                csh = shingles_of(cid)
                if csh is None:
                    continue
                score = _overlap(own(), csh)
                if score < threshold:
                    continue
                key = (round(score, 9), bool(title) and titles.get(cid) == title,
                       leads.get(cid, _lead_key(texts.get(cid, ""))) == lead, -order)
                if best is None or key > best:
                    best, best_id = key, target
            if best is not None:
                decision = DedupDecision(aid, best_id, "near", round(best[0], 6))
        if decision is None:
            decision = DedupDecision(aid, None, None, None)

        root[aid] = decision.duplicate_of or aid
        titles[aid] = _title_key(art.title)
        leads[aid] = _lead_key(art.text)
        if sh is not None:
            cache[aid] = sh
        batch.add(fp, art.text, decision.duplicate_of)
        done[aid] = (decision, fp)
        decisions.append(decision)
        fingerprints.append(fp)
    return decisions, fingerprints


@dataclass(frozen=True)
class Explanation:
    """Why two articles are or aren't duplicates under the flow's rules (``explain``)."""

    a: str
    b: str
    url_a: str | None
    url_b: str | None
    same_url: bool
    same_text: bool  # equal normalized-text hashes
    shingles_a: int
    shingles_b: int
    common_shingles: int
    jaccard: float
    containment: float  # share of the shorter text's shingles found in the other
    estimated_jaccard: float  # from the MinHash signatures
    shared_bands: int  # full-text LSH bands in common
    shared_lead_bands: int  # lead bands in common
    prefilter_passes: bool  # could_contain: the signatures leave room for the threshold
    same_title: bool
    threshold: float
    shingle_size: int
    reason: str | None  # the flow's decision for B after A: url | version | exact | near | None
    score: float | None

    @property
    def duplicate(self) -> bool:
        return self.reason is not None

    def lines(self) -> list[str]:
        verdict = (f"DUPLICATE ({self.reason}{'' if self.score is None else f', score {self.score:.3f}'})"
                   if self.duplicate else "NOT duplicates")
        why = {
            "url": "same canonical URL and a text already seen for it",
            "version": "same canonical URL, new text: B is a later version of A",
            "exact": "same text once case, whitespace, quotes and dashes are folded",
            "near": f"containment {self.containment:.3f} >= threshold {self.threshold}",
            None: ("no shared LSH band: never compared" if not (self.shared_bands or self.shared_lead_bands)
                   else "the signatures rule it out before the texts are compared" if not self.prefilter_passes
                   else f"containment {self.containment:.3f} < threshold {self.threshold}"),
        }[self.reason]
        return [
            f"{self.b} vs {self.a}: {verdict}: {why}",
            f"  canonical URL   A {self.url_a or '-'}",
            f"                  B {self.url_b or '-'}  ({'same' if self.same_url else 'different'})",
            f"  text hash       {'same' if self.same_text else 'different'}",
            f"  {self.shingle_size}-word shingles A {self.shingles_a}, B {self.shingles_b}, in common {self.common_shingles}",
            f"  containment     {self.containment:.3f}  (threshold {self.threshold}: NEWSFLOW_NEAR_DUP_THRESHOLD)",
            f"  Jaccard         {self.jaccard:.3f}  (MinHash estimate {self.estimated_jaccard:.3f})",
            f"  LSH bands       {self.shared_bands} of {BANDS} shared, lead bands {self.shared_lead_bands} of {LEAD_BANDS}"
            f"  ({'a candidate' if self.shared_bands or self.shared_lead_bands else 'not a candidate'})",
            f"  prefilter       {'passes' if self.prefilter_passes else 'rules it out'}",
            f"  title           {'same' if self.same_title else 'different'}",
        ]


def explain(a: Article, b: Article, *, threshold: float = 0.8, k: int = 3) -> Explanation:
    """Every measure dedup uses on A and B, and the flow's decision for B when A came first."""
    (fa, sa), (fb, sb) = _fingerprint(a, k), _fingerprint(b, k)
    decisions, _ = dedup_batch([a, replace(b, article_id=b.article_id if b.article_id != a.article_id
                                             else b.article_id + "'")], MemoryIndex(), threshold=threshold, k=k)
    d = decisions[1]
    common = int(np.intersect1d(sa, sb, assume_unique=True).size)
    union = sa.size + sb.size - common
    sig_a, sig_b = signature_from_bytes(fa.signature), signature_from_bytes(fb.signature)
    j_est = estimated_jaccard(sig_a, sig_b)
    full_a, full_b = set(fa.band_keys[:BANDS]), set(fb.band_keys[:BANDS])
    lead_a, lead_b = set(fa.band_keys[BANDS:]), set(fb.band_keys[BANDS:])
    ta, tb = _title_key(a.title), _title_key(b.title)
    return Explanation(
        a=a.article_id, b=b.article_id, url_a=fa.canonical_url, url_b=fb.canonical_url,
        same_url=bool(fa.canonical_url) and fa.canonical_url == fb.canonical_url,
        same_text=fa.text_hash == fb.text_hash, shingles_a=int(sa.size), shingles_b=int(sb.size),
        common_shingles=common, jaccard=round(common / union, 6) if union else 0.0,
        containment=round(_overlap(sa, sb), 6), estimated_jaccard=round(j_est, 6),
        shared_bands=len(full_a & full_b), shared_lead_bands=len(lead_a & lead_b),
        prefilter_passes=could_contain(j_est, fa.shingle_count, fb.shingle_count, threshold),
        same_title=bool(ta) and ta == tb, threshold=threshold, shingle_size=k,
        reason=d.reason, score=d.score,
    )


def unique_articles(articles: Iterable[Article], decisions: Iterable[DedupDecision]) -> list[Article]:
    """The articles that are not duplicates (in the given order)."""
    dup = {d.article_id for d in decisions if d.duplicate_of}
    return [a for a in articles if a.article_id not in dup]


def reason_counts(decisions: Iterable[DedupDecision]) -> dict[str, int]:
    """How many articles were new and how many were duplicates per reason."""
    c = Counter(d.reason or "new" for d in decisions)
    return {r: c.get(r, 0) for r in ("new", "url", "version", "exact", "near")}


# --------------------------------------------------------------------------- Prefect tasks


@task(name="fingerprint", cache_policy=NO_CACHE)
def fingerprint_task(articles: Iterable[Article], k: int = 3) -> Slice[Fingerprint]:
    """Fingerprints of a slice of articles (CPU-bound, mapped over the workers), as a Slice (see
    tasks.records.Slice)."""
    return Slice(fingerprint(a, k) for a in articles)


@task(name="dedup-warehouse", cache_policy=NO_CACHE)
def dedup_warehouse_task(
    articles: list[Article], settings: Settings, fingerprints: list[Fingerprint] | None = None
) -> tuple[list[DedupDecision], list[Fingerprint]]:
    from tasks.warehouse import WarehouseIndex  # lazy: the pure core does not need DuckDB

    with WarehouseIndex(settings.db_path) as index:
        decisions, prints = dedup_batch(articles, index, threshold=settings.near_dup_threshold,
                                        k=settings.shingle_size, fingerprints=fingerprints)
    run_logger().info("dedup: %d articles, %s", len(decisions), reason_counts(decisions))
    return decisions, prints
