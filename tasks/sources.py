"""Sources: the sources file, and reading feeds, URL lists and folders into RawDocuments.

Two clients sit behind one interface (``Client.get``): ``tasks.fetch.Fetcher`` for live URLs and
``LocalClient`` for files, so the whole flow runs offline on ``seeds/`` and in tests. Feeds are
read conditionally (ETag / Last-Modified kept per source), entries already stored are not fetched
again, and a source that keeps failing is backed off (``ops.source_state``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import itertools
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol, Sequence, TypeVar

import yaml
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.dedup import canonical_url
from tasks.errors import BadDocument, ConfigError, NewsflowError, TransientSourceError
from tasks.feeds import FeedEntry, parse_feed
from tasks.fetch import FEED_TYPES, PAGE_TYPES, Fetcher, FetchPolicy, RequestRecord, Response, RobotsEntry
from tasks.log import run_logger
from tasks.records import Failure, RawDocument, Slice, Source, stable_id
from tasks.settings import Settings
from tasks.warehouse import known_raw_ids, read_rows

T = TypeVar("T")

ARTICLE_SUFFIXES = {".txt": "text", ".html": "html", ".htm": "html"}
SIDECAR = "metadata.yaml"


# --------------------------------------------------------------------------- sources file


def load_sources(path: Path) -> list[Source]:
    """Read and validate a sources file. Raises ConfigError with a one-line reason."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"sources file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ConfigError(f"sources file {path} is not valid YAML: {_first_line(e)}") from None
    entries = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"sources file {path} has no 'sources:' list")
    base = path.resolve().parent
    sources: list[Source] = []
    for i, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not entry.get("name"):
            raise ConfigError(f"{path}: source #{i} needs a 'name'")
        kinds = [k for k in SOURCE_KINDS if entry.get(k)]
        if len(kinds) != 1:
            raise ConfigError(f"{path}: source {entry['name']!r} needs exactly one of 'feed', 'folder' or 'urls'")
        kind = kinds[0]
        name = str(entry["name"])
        if kind == "urls":
            sources.append(_url_list(path, base, name, entry["urls"]))
            continue
        location = str(entry[kind])
        if not _is_url(location):
            location = str((base / location).resolve())
            if kind == "folder" and entry.get("recursive"):
                location += os.sep + "**"
        sources.append(Source(name=name, kind=kind, location=location))
    names = [s.name for s in sources]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"{path}: source names must be unique, repeated: {', '.join(dupes)}")
    return sources


SOURCE_KINDS = ("feed", "folder", "urls")


def _url_list(path: Path, base: Path, name: str, value: object) -> Source:
    """A `urls:` entry: a YAML list of URLs, or a text file of them (one per line, # comments)."""
    if isinstance(value, str):
        file = (base / value).resolve()
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"{path}: source {name!r}: cannot read the URL list {file}: {_first_line(e)}") from None
        urls, location = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")], str(file)
    elif isinstance(value, list):
        urls, location = [str(u).strip() for u in value], f"{path.resolve()}#{name}"
    else:
        raise ConfigError(f"{path}: source {name!r}: 'urls' must be a list of URLs or a file of them")
    bad = [u for u in urls if not _is_url(u)]
    if bad:
        raise ConfigError(f"{path}: source {name!r}: not an http(s) URL: {bad[0]}")
    return Source(name=name, kind="urls", location=location, urls=tuple(dict.fromkeys(urls)))


def append_feeds(path: Path, feeds: Sequence[tuple[str | None, str]]) -> tuple[list[Source], list[str]]:
    """Add (title, url) feeds to a sources file, keeping its comments; skips URLs already listed.

    Returns (the sources added, the URLs skipped). Names come from the titles, made unique.
    """
    path = Path(path)
    existing = load_sources(path) if path.is_file() else []
    names = {s.name for s in existing}
    listed = {s.location for s in existing if s.kind == "feed"}
    added: list[Source] = []
    skipped: list[str] = []
    lines: list[str] = []
    for title, url in feeds:
        if url in listed or not _is_url(url):
            skipped.append(url)
            continue
        name = _unique_name(_slug(title or url), names)
        names.add(name)
        listed.add(url)
        added.append(Source(name, "feed", url))
        lines.append(f"  - name: {json.dumps(name)}\n    feed: {json.dumps(url)}\n")
    if added:
        text = path.read_text(encoding="utf-8") if path.is_file() else "sources:\n"
        try:
            path.write_text(text + ("" if text.endswith("\n") else "\n") + "".join(lines), encoding="utf-8")
        except OSError as e:
            raise ConfigError(f"cannot write the sources file {path}: {e.strerror or e}") from None
        load_sources(path)  # what was written must read back
    return added, skipped


def _slug(text: str) -> str:
    text = re.sub(r"^https?://(www\.)?", "", text.strip().lower())
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60] or "feed"


def _unique_name(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    return candidate


# --------------------------------------------------------------------------- clients


class Client(Protocol):
    """What reads a location: Fetcher (http/https) or LocalClient (files)."""

    def get(self, location: str, *, etag: str | None = None, last_modified: str | None = None,
            accept: frozenset[str] | None = None) -> Response: ...

    def get_many(self, urls: Sequence[str], *, accept: frozenset[str] | None = None
                 ) -> Iterator[tuple[str, Response | NewsflowError]]: ...

    def close(self) -> None: ...


class LocalClient:
    """Reads files: the offline twin of tasks.fetch.Fetcher, with the same `get()`."""

    def __init__(self, max_bytes: int = 50_000_000):
        self.max_bytes = max_bytes

    def get(self, location: str, *, etag: str | None = None, last_modified: str | None = None,
            accept: frozenset[str] | None = None) -> Response:
        path = Path(location)
        try:
            size = path.stat().st_size
            if size > self.max_bytes:
                raise BadDocument("too-large", f"{size} bytes is over the {self.max_bytes}-byte limit")
            body = path.read_bytes()
        except FileNotFoundError:
            raise BadDocument("not-found", f"no such file: {path}") from None
        except (PermissionError, IsADirectoryError, OSError) as e:
            raise BadDocument("unreadable", f"cannot read {path}: {e.strerror or e}") from None
        return Response(url=str(path), status=200, body=body, content_type=None, encoding=None,
                        encoding_source=None, etag=None, last_modified=None, attempts=1)

    def get_many(self, urls: Sequence[str], *, accept: frozenset[str] | None = None
                 ) -> Iterator[tuple[str, Response | NewsflowError]]:
        for url in urls:
            try:
                yield url, self.get(url)
            except NewsflowError as e:
                yield url, e

    def close(self) -> None:
        pass

    def __enter__(self) -> "LocalClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_FETCHERS: dict[str, Fetcher] = {}
_FETCHERS_LOCK = threading.Lock()


def run_fetcher(run_key: str, settings: Settings, robots: Sequence[RobotsEntry] = ()) -> Fetcher:
    """The one Fetcher of a run, shared by the source tasks (so per-host limits hold across them)."""
    with _FETCHERS_LOCK:
        if run_key not in _FETCHERS:
            _FETCHERS[run_key] = Fetcher(FetchPolicy.from_settings(settings), robots=robots)
        return _FETCHERS[run_key]


def close_run_fetcher(run_key: str) -> tuple[list[RobotsEntry], list[RequestRecord]]:
    """Close the run's Fetcher: the robots.txt files it fetched (to store) and its request log."""
    with _FETCHERS_LOCK:
        fetcher = _FETCHERS.pop(run_key, None)
    if fetcher is None:
        return [], []
    fetcher.close()
    return fetcher.fetched_robots(), list(fetcher.requests)


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class SourceState:
    """What the warehouse remembers about a source between nights (ops.source_state)."""

    source: str
    location: str
    etag: str | None = None
    last_modified: str | None = None
    last_fetch_at: str | None = None
    last_status: str | None = None  # ok | not-modified | backed-off | <failure reason>
    last_error: str | None = None
    consecutive_failures: int = 0
    next_fetch_after: str | None = None  # ISO 8601 UTC; the source is skipped until then


@dataclass(frozen=True)
class SeenEntry:
    """The latest stored version of a feed entry (or listed URL)."""

    entry_key: str
    version: int
    updated: str | None


@dataclass(frozen=True)
class EntryRecord:
    """A row of raw.feed_entries: this entry (version) was fetched and stored as raw_id."""

    entry_id: str  # stable_id(source, entry_key, updated)
    source: str
    entry_key: str
    link_key: str | None
    updated: str | None
    version: int
    raw_id: str
    first_seen_at: str


# (source, [(entry_key, link_key)]) -> {entry_key: SeenEntry} for the entries already stored
SeenLookup = Callable[[str, Sequence[tuple[str, str | None]]], dict[str, SeenEntry]]


def nothing_seen(source: str, keys: Sequence[tuple[str, str | None]]) -> dict[str, SeenEntry]:
    return {}


@dataclass(frozen=True)
class SourceResult:
    """What one source gave tonight: documents, failures, its new state and the entries stored."""

    source: str
    documents: tuple[RawDocument, ...]
    failures: tuple[Failure, ...]
    status: str = "ok"  # ok | not-modified | backed-off | failed
    state: SourceState | None = None  # None for folders (they keep no state)
    entries: tuple[EntryRecord, ...] = ()
    skipped_seen: int = 0  # entries not fetched because they were already stored


def read_source(
    source: Source,
    fetched_at: str,
    settings: Settings,
    *,
    state: SourceState | None = None,
    fetcher: Fetcher | LocalClient | None = None,
    seen: SeenLookup = nothing_seen,
) -> SourceResult:
    """Read one source. TransientSourceError from a feed request propagates (so Prefect retries it);
    everything else is recorded: failures in the result, and the source's new state."""
    if source.kind == "folder":
        docs, fails = _collect(read_folder(source, fetched_at))
        return SourceResult(source.name, tuple(docs), tuple(fails))
    state = state or SourceState(source.name, source.location)
    if is_backed_off(state, fetched_at):
        return SourceResult(source.name, (), (), "backed-off", replace(state, last_status="backed-off"))
    http = fetcher or LazyFetcher(settings)
    try:
        if source.kind == "urls":
            return read_urls(source, http, fetched_at, state, seen)
        feed_client = http if _is_url(source.location) else LocalClient()
        return read_feed(source, feed_client, http, fetched_at, state, seen, settings.source_max_failures)
    finally:
        if fetcher is None:
            http.close()


class LazyFetcher:
    """A Fetcher made on first use (a local feed whose entries all carry their content needs none)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._fetcher: Fetcher | None = None

    def _get(self) -> Fetcher:
        if self._fetcher is None:
            self._fetcher = Fetcher(FetchPolicy.from_settings(self.settings))
        return self._fetcher

    def get(self, url: str, **kw: object) -> Response:
        return self._get().get(url, **kw)  # type: ignore[arg-type]

    def get_many(self, urls: Sequence[str], **kw: object) -> Iterator[tuple[str, Response | NewsflowError]]:
        return self._get().get_many(urls, **kw) if urls else iter(())  # type: ignore[arg-type]

    def close(self) -> None:
        if self._fetcher is not None:
            self._fetcher.close()


def _collect(items: Iterator[RawDocument | Failure]) -> tuple[list[RawDocument], list[Failure]]:
    docs: list[RawDocument] = []
    fails: list[Failure] = []
    for item in items:
        (docs if isinstance(item, RawDocument) else fails).append(item)  # type: ignore[arg-type]
    return docs, fails


def raw_document(
    source: str,
    locator: str,
    kind: str,
    body: bytes,
    fetched_at: str,
    url: str | None = None,
    title: str | None = None,
    published: str | None = None,
    authors: tuple[str, ...] = (),
    **live: object,
) -> RawDocument:
    """Build a RawDocument with its deterministic key (`live`: encoding, entry_key, version, ...)."""
    raw_id = stable_id(source, locator, hashlib.sha256(body).hexdigest())
    return RawDocument(raw_id, source, locator, kind, body, fetched_at, url, title, published, authors,
                       **live)  # type: ignore[arg-type]


def read_folder(source: Source, fetched_at: str) -> Iterator[RawDocument | Failure]:
    """Yield a RawDocument per article file (or JSONL line) in a folder, or a Failure."""
    recursive = source.location.endswith(os.sep + "**")
    root = Path(source.location[: -3] if recursive else source.location)
    if not root.is_dir():
        yield Failure.of(source.name, str(root), "source", "not-found", f"no such folder: {root}")
        return
    files = sorted(root.rglob("*") if recursive else root.iterdir())
    sidecars: dict[Path, dict] = {}
    for path in files:
        suffix = path.suffix.lower()
        if not path.is_file() or (suffix not in ARTICLE_SUFFIXES and suffix != ".jsonl"):
            continue
        locator = path.relative_to(root).as_posix()
        if suffix == ".jsonl":
            try:
                body = LocalClient().get(str(path)).body
            except BadDocument as e:
                yield Failure.of(source.name, locator, "source", e.reason, e.detail)
                continue
            yield from read_jsonl(source.name, locator, body, fetched_at)
            continue
        if path.parent not in sidecars:
            sidecars[path.parent] = _read_sidecar(path.parent)
        try:
            yield read_file(path, source.name, fetched_at, locator, sidecars[path.parent])
        except BadDocument as e:
            yield Failure.of(source.name, locator, "source", e.reason, e.detail)


def read_file(
    path: Path,
    source: str,
    fetched_at: str,
    locator: str | None = None,
    sidecar: dict | None = None,
) -> RawDocument:
    """One .txt/.html file as a RawDocument, with its folder's metadata.yaml. Raises BadDocument."""
    path = Path(path)
    body = LocalClient().get(str(path)).body
    meta = (_read_sidecar(path.parent) if sidecar is None else sidecar).get(path.name) or {}
    kind = ARTICLE_SUFFIXES.get(path.suffix.lower(), "text")
    return raw_document(
        source, locator or str(path), kind, body, fetched_at,
        url=_str_or_none(meta.get("url")), title=_str_or_none(meta.get("title")),
        published=_str_or_none(meta.get("published")), authors=_authors(meta),
    )


def read_jsonl(source: str, locator: str, body: bytes, fetched_at: str) -> Iterator[RawDocument | Failure]:
    """One article per JSON line: {"text" | "html", "id"?, "url"?, "title"?, "published"?}."""
    for n, line in enumerate(body.splitlines(), 1):
        if not line.strip():
            continue
        line_loc = f"{locator}#L{n}"
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict):
                raise ValueError("a line must be a JSON object")
        except (ValueError, UnicodeDecodeError) as e:
            yield Failure.of(source, line_loc, "source", "bad-jsonl", f"line {n} is not a JSON object: {_first_line(e)}")
            continue
        kind = "html" if rec.get("html") else "text"
        content = rec.get("html") or rec.get("text")
        if not isinstance(content, str):
            yield Failure.of(source, line_loc, "source", "bad-jsonl", f"line {n} has no 'text' or 'html' string")
            continue
        if rec.get("id") is not None:
            line_loc = f"{locator}#{rec['id']}"
        yield raw_document(
            source, line_loc, kind, content.encode("utf-8"), fetched_at,
            url=_str_or_none(rec.get("url")), title=_str_or_none(rec.get("title")),
            published=_str_or_none(rec.get("published")), authors=_authors(rec),
        )


# --------------------------------------------------------------------------- feeds and URL lists


def is_backed_off(state: SourceState, now: str) -> bool:
    """True while a failing source waits for its next allowed fetch."""
    return bool(state.next_fetch_after) and state.next_fetch_after > now  # both ISO 8601 UTC


def succeeded(state: SourceState, now: str, status: str, etag: str | None = None,
              last_modified: str | None = None) -> SourceState:
    return replace(state, etag=etag, last_modified=last_modified, last_fetch_at=now, last_status=status,
                   last_error=None, consecutive_failures=0, next_fetch_after=None)


def failed(state: SourceState, now: str, reason: str, detail: str, max_failures: int) -> SourceState:
    """One more failed night. From `max_failures` in a row on, the source waits 1, 2, 4 ... (at most 7) days."""
    n = state.consecutive_failures + 1
    next_after = None
    if n >= max_failures:
        days = min(7, 2 ** (n - max_failures))
        next_after = (datetime.fromisoformat(now) + timedelta(days=days) - timedelta(hours=1)).isoformat()
    return replace(state, last_fetch_at=now, last_status=reason, last_error=detail,
                   consecutive_failures=n, next_fetch_after=next_after)


def read_feed(
    source: Source,
    client: Client,
    page_client: Client,
    fetched_at: str,
    state: SourceState,
    seen: SeenLookup = nothing_seen,
    max_failures: int = 3,
) -> SourceResult:
    """Fetch a feed (conditionally), then the pages of its new or changed entries.

    An unchanged feed (304) costs that one request. Entries with full content are used as they
    are; others' links are fetched. When a page fails, the feed's validators are not kept, so
    that the next night reads the feed in full again and retries that page.
    """
    try:
        resp = client.get(source.location, etag=state.etag, last_modified=state.last_modified, accept=FEED_TYPES)
        if resp.not_modified:
            return SourceResult(source.name, (), (), "not-modified",
                                succeeded(state, fetched_at, "not-modified", resp.etag, resp.last_modified))
        feed = parse_feed(resp.body, fetched_at=fetched_at, base_url=resp.url if _is_url(resp.url) else None,
                          content_type=resp.content_type)
    except BadDocument as e:
        return SourceResult(source.name, (), (Failure.of(source.name, source.location, "source", e.reason, e.detail),),
                            "failed", failed(state, fetched_at, e.reason, e.detail, max_failures))
    entries = [e for e in feed.entries if e.key or e.link]
    docs, fails, records, skipped = _read_entries(source, page_client, fetched_at, entries, seen)
    complete = not any(f.reason not in PERMANENT_PAGE_REASONS for f in fails)
    new_state = succeeded(state, fetched_at, "ok", resp.etag if complete else None,
                          resp.last_modified if complete else None)
    if feed.warning:
        fails.append(Failure.of(source.name, source.location, "source", "feed-warning", feed.warning))
    return SourceResult(source.name, tuple(docs), tuple(fails), "ok", new_state, tuple(records), skipped)


def read_urls(
    source: Source,
    client: Client,
    fetched_at: str,
    state: SourceState,
    seen: SeenLookup = nothing_seen,
) -> SourceResult:
    """A plain list of article URLs: each one not already stored is fetched."""
    entries = [FeedEntry(guid=None, link=u, title=None, published=None, updated=None, date_is_fetch_time=False,
                         authors=(), content=None, summary=None) for u in source.urls]
    docs, fails, records, skipped = _read_entries(source, client, fetched_at, entries, seen)
    return SourceResult(source.name, tuple(docs), tuple(fails), "ok", succeeded(state, fetched_at, "ok"),
                        tuple(records), skipped)


#: Page failures that another try would not fix: the feed's validators are kept despite them.
PERMANENT_PAGE_REASONS = frozenset({
    "http-404", "http-410", "http-403", "http-401", "robots-disallowed", "blocked-address", "bad-url",
    "bad-content-type", "too-large", "no-content", "redirect-loop", "too-many-redirects", "empty",
})


def _read_entries(
    source: Source,
    client: Client,
    fetched_at: str,
    entries: Sequence[FeedEntry],
    seen: SeenLookup,
) -> tuple[list[RawDocument], list[Failure], list[EntryRecord], int]:
    keyed = _unique_entries(entries)
    known = seen(source.name, [(key, link_key) for key, link_key, _ in keyed]) if keyed else {}
    todo: list[tuple[str, str | None, FeedEntry, int]] = []
    skipped = 0
    for key, link_key, entry in keyed:
        prior = known.get(key)
        if prior is None:
            todo.append((key, link_key, entry, 1))
        elif entry.updated and prior.updated and entry.updated > prior.updated:
            todo.append((key, link_key, entry, prior.version + 1))  # a changed entry: a new version
        else:
            skipped += 1
    docs: list[RawDocument] = []
    fails: list[Failure] = []
    pages: dict[str, tuple[str, str | None, FeedEntry, int]] = {}
    for key, link_key, entry, version in todo:
        locator = entry.link or key
        if entry.content:
            docs.append(_entry_document(source, entry, key, version, fetched_at, entry.content.encode("utf-8")))
        elif entry.link and _is_url(entry.link) and entry.link not in pages:
            pages[entry.link] = (key, link_key, entry, version)
        elif entry.link not in pages:
            fails.append(Failure.of(source.name, locator, "source", "no-content",
                                    "entry has neither full content nor an http(s) link to fetch"))
    fetched = dict(client.get_many(list(pages), accept=PAGE_TYPES))
    for link, (key, link_key, entry, version) in pages.items():  # the feed's order: deterministic
        got = fetched.pop(link)
        if isinstance(got, NewsflowError):
            reason = getattr(got, "reason", "fetch-failed")
            fails.append(Failure.of(source.name, link, "source", reason, _first_line(got)))
            continue
        docs.append(_entry_document(source, entry, key, version, fetched_at, got.body, got.url, got.encoding))
    records = [
        EntryRecord(stable_id(d.source, d.entry_key, d.entry_updated), d.source, d.entry_key or "",
                    link_keys[d.entry_key], d.entry_updated, d.version, d.raw_id, fetched_at)
        for link_keys in [{k: lk for k, lk, _ in keyed}] for d in docs
    ]
    return docs, fails, records, skipped


def _unique_entries(entries: Sequence[FeedEntry]) -> list[tuple[str, str | None, FeedEntry]]:
    """(entry_key, link_key, entry) per entry, the first of each key only."""
    out, keys = [], set()
    for e in entries:
        link_key = canonical_url(e.link) if e.link and _is_url(e.link) else e.link
        key = e.guid or link_key
        if key and key not in keys:
            keys.add(key)
            out.append((key, link_key, e))
    return out


def _entry_document(source: Source, entry: FeedEntry, key: str, version: int, fetched_at: str, body: bytes,
                    url: str | None = None, encoding: str | None = None) -> RawDocument:
    return raw_document(
        source.name, entry.link or key, "html", body, fetched_at,
        url=url or entry.link, title=entry.title, published=entry.published, authors=entry.authors,
        encoding=encoding, entry_key=key, entry_updated=entry.updated, version=version,
        published_is_fetch_time=entry.date_is_fetch_time,
    )


def outcome(source: Source, result: SourceResult | BaseException, state: SourceState | None = None,
            now: str | None = None, max_failures: int = 3) -> SourceResult:
    """A source's result, or the error that ended it (after retries) as a recorded failure."""
    if isinstance(result, SourceResult):
        return result
    reason = getattr(result, "reason", None) if isinstance(result, TransientSourceError) else "source-error"
    reason = reason or "fetch-failed"
    detail = _first_line(result)
    fail = Failure.of(source.name, source.location, "source", reason, detail)
    new_state = None
    if source.kind != "folder":
        now = now or now_utc()
        new_state = failed(state or SourceState(source.name, source.location), now, reason, detail, max_failures)
    return SourceResult(source.name, (), (fail,), "failed", new_state)


def source_status(results: Sequence[SourceResult]) -> dict[str, int]:
    """How many live sources were ok, not modified, backed off or failed tonight."""
    counts: dict[str, int] = {}
    for r in results:
        if r.state is not None or r.status != "ok":
            counts[r.status] = counts.get(r.status, 0) + 1
    return counts


def select_new(results: list[SourceResult], known: set[str]) -> tuple[list[RawDocument], list[Failure]]:
    """Tonight's documents not already stored (by raw_id, first copy wins), and all failures."""
    failures = [f for r in results for f in r.failures]
    return new_documents([d for r in results for d in r.documents], known), failures


def night_batches(
    results: Sequence[SourceResult], folders: Sequence[Source], fetched_at: str, size: int
) -> Iterator[tuple[list[RawDocument], list[Failure]]]:
    """Tonight's documents in batches of at most ``size``, with the failures met while reading
    them: the live sources' documents (already fetched), then each folder's files, read one batch
    at a time, so memory stays flat however many files a folder holds. There is always at least
    one batch (maybe empty: the run's own row and the sources' state are loaded with it)."""
    docs: list[RawDocument] = []
    fails: list[Failure] = []
    yielded = False
    live: Iterator[RawDocument | Failure] = (x for r in results for x in (*r.failures, *r.documents))
    for item in itertools.chain(live, *(read_folder(f, fetched_at) for f in folders)):
        if isinstance(item, RawDocument):
            docs.append(item)
        else:
            fails.append(item)
        if len(docs) >= size:
            yield docs, fails
            docs, fails, yielded = [], [], True
    if docs or fails or not yielded:
        yield docs, fails


def split(items: Sequence[T], size: int) -> list[Slice[T]]:
    """Consecutive slices of at most ``size`` items: what one mapped task gets."""
    return [Slice(items[i:i + size]) for i in range(0, len(items), size)]


def new_documents(docs: Sequence[RawDocument], known: set[str]) -> list[RawDocument]:
    """The documents not already stored (by raw_id), the first copy of each."""
    seen = set(known)
    out = []
    for d in docs:
        if d.raw_id not in seen:
            seen.add(d.raw_id)
            out.append(d)
    return out


def _read_sidecar(folder: Path) -> dict:
    path = folder / SIDECAR
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path} is not valid YAML: {_first_line(e)}") from None
    return data if isinstance(data, dict) else {}


def _authors(meta: dict) -> tuple[str, ...]:
    """`authors` (a list) or `author` (a string) of a sidecar entry or JSONL record."""
    value = meta.get("authors", meta.get("author"))
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    return tuple(str(a) for a in value or () if str(a).strip())


def _is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def _str_or_none(v: object) -> str | None:
    return None if v is None else str(v)


def _first_line(e: object) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- Prefect tasks


@task(name="load-sources", cache_policy=NO_CACHE)
def load_sources_task(path: Path) -> list[Source]:
    sources = load_sources(path)
    run_logger().info("%d sources in %s", len(sources), path)
    return sources


def is_transient(task: object, task_run: object, state: object) -> bool:
    """Prefect retry condition: retry a source read only after a transient network error."""
    return isinstance(state.result(raise_on_failure=False), TransientSourceError)  # type: ignore[attr-defined]


def retry_delays(settings: Settings) -> list[float]:
    """Prefect's retry of a whole source, once the fetcher's own retries have run out: one more
    try after the next step of the fetcher's backoff (delay x 2^(retries+1))."""
    return [settings.retry_delay_seconds * 2 ** (settings.retries + 1)] if settings.retries else []


def load_fetch_state(db_path: Path, sources: Sequence[Source]) -> tuple[dict[str, SourceState], list[RobotsEntry]]:
    """Per-source state and the robots.txt files fetched in the last day, from the warehouse."""
    names = [s.name for s in sources if s.kind != "folder"]
    states = {
        r["source"]: SourceState(**{k: (_iso(v) if k in ("last_fetch_at", "next_fetch_after") else v)
                                    for k, v in r.items()})
        for r in read_rows(db_path, "source_states", [names])
    } if names else {}
    robots = [RobotsEntry(r["origin"], r["status"], r["body"], _iso(r["fetched_at"]))
              for r in read_rows(db_path, "fresh_robots", [])]
    return states, robots


def warehouse_seen(db_path: Path) -> SeenLookup:
    """The SeenLookup over raw.feed_entries (read-only keyed queries)."""
    def lookup(source: str, keys: Sequence[tuple[str, str | None]]) -> dict[str, SeenEntry]:
        rows = read_rows(db_path, "seen_entries", [[k for k, _ in keys], [lk for _, lk in keys], source])
        return {r["entry_key"]: SeenEntry(r["entry_key"], r["version"], r["updated"]) for r in rows}
    return lookup


def _iso(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return str(value)


@task(name="fetch-state", cache_policy=NO_CACHE)
def fetch_state_task(db_path: Path, sources: list[Source]) -> tuple[dict[str, SourceState], list[RobotsEntry]]:
    states, robots = load_fetch_state(db_path, sources)
    run_logger().info("state for %d sources, %d cached robots.txt files", len(states), len(robots))
    return states, robots


@task(name="open-fetcher", cache_policy=NO_CACHE)
def open_fetcher_task(run_key: str, settings: Settings, robots: list[RobotsEntry]) -> None:
    run_fetcher(run_key, settings, robots)


@task(name="read-source", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=16,
      retry_jitter_factor=0.5, retry_condition_fn=is_transient)
def read_source_task(source: Source, fetched_at: str, settings: Settings, state: SourceState | None = None,
                     run_key: str | None = None) -> SourceResult:
    fetcher = run_fetcher(run_key, settings) if run_key and source.kind != "folder" else None
    seen = warehouse_seen(settings.db_path)
    result = read_source(source, fetched_at, settings, state=state, fetcher=fetcher, seen=seen)
    if result.status == "backed-off" and result.state:
        run_logger().warning("%s: backed off after %d failed nights (last: %s); next try after %s",
                             source.name, result.state.consecutive_failures, result.state.last_error,
                             result.state.next_fetch_after)
    run_logger().info("%s: %s, %d documents, %d failures, %d entries already stored", source.name,
                      result.status, len(result.documents), len(result.failures), result.skipped_seen)
    return result


@task(name="close-fetcher", cache_policy=NO_CACHE)
def close_fetcher_task(run_key: str) -> list[RobotsEntry]:
    robots, requests = close_run_fetcher(run_key)
    conditional = sum(1 for r in requests if r.conditional)
    run_logger().info("%d HTTP requests (%d conditional, %d robots.txt)", len(requests), conditional,
                      sum(1 for r in requests if r.robots))
    return robots


@task(name="new-documents", cache_policy=NO_CACHE)
def new_documents_task(docs: list[RawDocument], db_path: Path) -> Slice[RawDocument]:
    new = new_documents(docs, known_raw_ids(db_path, [d.raw_id for d in docs]))
    run_logger().info("%d documents read, %d new", len(docs), len(new))
    return Slice(new)  # not a list: Prefect would keep an entry per document until the flow ends
