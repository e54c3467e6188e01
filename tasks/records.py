"""Typed records that travel between the stages.

Every record is a frozen dataclass with a deterministic key, so that loading the
same input twice produces the same rows (see ``stable_id``).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Generic, Iterable, Iterator, TypeVar

T = TypeVar("T")


def stable_id(*parts: object) -> str:
    """A deterministic 20-hex-digit key from the given parts (None is kept distinct from "")."""
    h = hashlib.sha256()
    for p in parts:
        h.update(b"\x00" if p is None else str(p).encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:20]


@dataclass(frozen=True)
class Source:
    """One entry of the sources file: a feed (URL or file) or a local folder of articles."""

    name: str
    kind: str  # "feed" | "folder" | "urls"
    location: str  # URL, or a path resolved against the sources file's folder
    urls: tuple[str, ...] = ()  # kind "urls": the article URLs to fetch


@dataclass(frozen=True)
class RawDocument:
    """What a source delivered, before any cleaning: bytes plus what the source knew about them."""

    raw_id: str  # stable_id(source, locator, sha256(body))
    source: str  # Source.name
    locator: str  # where the bytes came from: a URL, a file path, or "path#L<n>" for a JSONL line
    kind: str  # "html" | "text"
    body: bytes
    fetched_at: str  # ISO 8601 UTC; kept from the first time this raw_id was seen
    url: str | None = None  # the article's URL, when known (feed link, JSONL "url", HTML canonical)
    title: str | None = None  # from the feed entry, sidecar or JSONL record
    published: str | None = None  # ISO 8601 date or datetime, from the feed entry, sidecar or JSONL
    authors: tuple[str, ...] = ()  # from the feed entry, sidecar or JSONL
    # live sources
    encoding: str | None = None  # charset detected when fetched (header, BOM, <meta>, charset-normalizer)
    entry_key: str | None = None  # the feed entry's guid, or the canonical link (what "seen" is checked by)
    entry_updated: str | None = None  # the entry's <updated> date (ISO 8601 UTC), when it has one
    version: int = 1  # 1, then 2, 3, ... each time a changed entry (new `updated`) is fetched again
    published_is_fetch_time: bool = False  # the entry had no date: `published` is when we fetched it

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass(frozen=True)
class Cleaned:
    """The cleaner's output for one page or text: the article's own text and metadata."""

    text: str
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None  # ISO 8601 date or datetime
    published_source: str | None = None  # json-ld, meta, time, url, text, source, fetch-time (see clean.py)
    canonical_url: str | None = None
    language: str | None = None
    site_name: str | None = None
    modified: str | None = None  # ISO 8601 date or datetime of the last modification
    section: str | None = None
    tags: tuple[str, ...] = ()
    image_url: str | None = None  # the lead image
    # where each metadata field came from: (("title", "og"), ("published", "json-ld"), ...)
    field_sources: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Article:
    """A cleaned article ready for dedup, events and the warehouse. article_id == raw_id."""

    article_id: str
    raw_id: str
    source: str
    url: str | None
    canonical_url: str | None
    title: str | None
    authors: tuple[str, ...]
    published: str | None
    published_source: str | None
    language: str | None
    site_name: str | None
    text: str
    modified: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    image_url: str | None = None
    field_sources: tuple[tuple[str, str], ...] = ()  # (field, where it came from)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["authors"] = list(self.authors)
        d["tags"] = list(self.tags)
        d["field_sources"] = dict(self.field_sources)
        return d


@dataclass(frozen=True)
class DedupDecision:
    """Whether an article duplicates one already seen (in this batch or in the warehouse)."""

    article_id: str
    duplicate_of: str | None  # the article it duplicates, or None when it is new
    reason: str | None  # "url" | "version" | "exact" | "near" | None
    score: float | None = None  # similarity behind a "near" decision (containment), else 1.0 / None


@dataclass(frozen=True)
class Fingerprint:
    """What dedup stores per (non-failed) article so later nights can be checked against it."""

    article_id: str
    canonical_url: str | None  # normalized by tasks.dedup.canonical_url
    text_hash: str  # hash of the normalized text
    band_keys: tuple[int, ...]  # MinHash LSH band keys (signed 64-bit), full text then lead
    signature: bytes = b""  # MinHash signature of the full text (128 little-endian uint64)
    shingle_count: int = 0  # number of distinct word shingles of the text


@dataclass(frozen=True)
class Event:
    """One PLOVER event mention (a sentence reporting an event), flat so that it maps 1:1 onto the
    marts.event_mentions table. marts.events groups mentions into real-world events."""

    mention_id: str  # stable_id(article_id, sentence_idx, event_type, mode, actor/recipient country, ordinal)
    article_id: str
    sentence_idx: int
    sentence: str
    sentence_start: int  # character offsets of the sentence in Article.text
    sentence_end: int
    event_type: str  # PLOVER type, e.g. "ASSAULT"
    mode: str | None  # PLOVER mode, e.g. "aerial"
    trigger: str  # the words that triggered the coding
    actor_text: str | None
    actor_name: str | None
    actor_country: str | None  # ISO 3166 alpha-3, or "IGO"
    actor_sector: str | None  # GOV, MIL, REB, ...
    recipient_text: str | None
    recipient_name: str | None
    recipient_country: str | None
    recipient_sector: str | None
    event_date: str | None  # ISO date
    date_precision: str | None  # "day" | "week" | "month"
    place_name: str | None
    place_country: str | None
    dead: int | None
    injured: int | None
    reported_only: bool
    confidence: float
    extractor_version: str
    cameo_root: str | None = None  # CAMEO root code ("19"), through the CAMEO2PLOVER table
    quad_class: int | None = None  # 1 verbal cooperation, 2 material cooperation, 3 verbal conflict, 4 material conflict
    dictionary_version: str = ""  # hash of the actor/trigger dictionaries used
    place_admin1: str | None = None  # GeoNames admin1: a US state's name, else "<alpha-2>.<code>" ("IQ.07")
    place_lat: float | None = None
    place_lon: float | None = None
    place_precision: str | None = None  # "city" | "admin1" | "country"
    arrested: int | None = None  # people arrested or detained (COERCE arrest)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


#: Failure reasons that are warnings: recorded in ops.failures, but the document was still read.
WARNING_REASONS = frozenset({"feed-warning"})


@dataclass(frozen=True)
class Failure:
    """A document (or source) that could not be processed, with the reason. Never stops a run."""

    failure_id: str  # stable_id(source, locator, stage)
    source: str
    locator: str
    stage: str  # "source" | "clean" | "dedup" | "events"
    reason: str  # short machine-friendly reason, e.g. "empty", "binary", "not-utf8", "malformed-feed"
    detail: str = ""  # a human-readable sentence

    @staticmethod
    def of(source: str, locator: str, stage: str, reason: str, detail: str = "") -> "Failure":
        return Failure(stable_id(source, locator, stage), source, locator, stage, reason, detail)


@dataclass(frozen=True)
class SourceRun:
    """How one source went in a run (the run report, and ``ops.runs.sources``)."""

    name: str
    kind: str  # folder | feed | urls
    status: str  # ok | not-modified | backed-off | failed
    documents: int  # documents it delivered tonight (before dropping the ones already stored)
    failures: int = 0  # its source-stage failures (a bad file, a dead feed)
    error: str | None = None  # the first failure's reason, e.g. "not-found", "http-503"


@dataclass(frozen=True)
class RunSummary:
    """What one run did; printed at the end and stored in the runs table."""

    run_id: str
    started_at: str
    finished_at: str
    status: str
    sources_read: int
    documents_read: int
    articles_new: int
    articles_duplicate: int
    articles_failed: int
    events_extracted: int
    seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)
    source_status: dict[str, int] = field(default_factory=dict)  # ok / not-modified / backed-off / failed
    sources: tuple[SourceRun, ...] = ()  # every source of the run, in the sources file's order


class Slice(Generic[T]):
    """Records handed to or returned by a task. A plain object, not a list: Prefect walks every
    list, tuple and dataclass a task is given looking for futures, which cost more than the work
    itself on big slices, and it remembers every record of a list a task returns (one entry per
    record in the flow run's context, kept until the flow ends: 7,000 entries a batch of 2,000
    articles, memory that grew with the night). It does neither for a Slice."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[T]):
        self.items = tuple(items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getstate__(self) -> tuple[T, ...]:
        return self.items

    def __setstate__(self, items: tuple[T, ...]) -> None:
        self.items = items
