"""Sources: the sources file, and reading feeds and folders into RawDocuments.

Two clients sit behind one interface (``Client.fetch``): ``HttpClient`` for live URLs and
``LocalClient`` for files, so the whole flow runs offline on ``seeds/`` and in tests.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Protocol

import feedparser
import httpx
import yaml
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.log import run_logger
from tasks.errors import BadDocument, ConfigError, TransientSourceError
from tasks.records import Failure, RawDocument, Source, stable_id
from tasks.settings import Settings
from tasks.warehouse import known_raw_ids

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
        kinds = [k for k in ("feed", "folder") if entry.get(k)]
        if len(kinds) != 1:
            raise ConfigError(f"{path}: source {entry['name']!r} needs exactly one of 'feed' or 'folder'")
        kind = kinds[0]
        location = str(entry[kind])
        if not _is_url(location):
            location = str((base / location).resolve())
            if kind == "folder" and entry.get("recursive"):
                location += os.sep + "**"
        sources.append(Source(name=str(entry["name"]), kind=kind, location=location))
    names = [s.name for s in sources]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"{path}: source names must be unique, repeated: {', '.join(dupes)}")
    return sources


# --------------------------------------------------------------------------- clients


@dataclass(frozen=True)
class Fetched:
    body: bytes
    url: str  # the final URL (after redirects) or the file path
    content_type: str | None = None


class Client(Protocol):
    def fetch(self, location: str) -> Fetched:
        """Return the bytes at `location`. TransientSourceError: worth a retry; BadDocument: not."""


class LocalClient:
    """Reads files: the offline twin of HttpClient."""

    def __init__(self, max_bytes: int = 50_000_000):
        self.max_bytes = max_bytes

    def fetch(self, location: str) -> Fetched:
        path = Path(location)
        try:
            size = path.stat().st_size
            if size > self.max_bytes:
                raise BadDocument("too-large", f"{size} bytes is over the {self.max_bytes}-byte limit")
            return Fetched(path.read_bytes(), str(path))
        except FileNotFoundError:
            raise BadDocument("not-found", f"no such file: {path}") from None
        except (PermissionError, IsADirectoryError, OSError) as e:
            raise BadDocument("unreadable", f"cannot read {path}: {e.strerror or e}") from None


class HttpClient:
    """Fetches http(s) URLs with a User-Agent, timeouts, at most 5 redirects and a size cap."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._client = httpx.Client(
            headers={"User-Agent": settings.user_agent},
            timeout=httpx.Timeout(settings.http_timeout),
            follow_redirects=True,
            max_redirects=5,
        )

    def fetch(self, location: str) -> Fetched:
        try:
            with self._client.stream("GET", location) as resp:
                status = resp.status_code
                if status == 429 or status >= 500:
                    raise TransientSourceError(f"HTTP {status} from {location}")
                if status >= 400:
                    raise BadDocument(f"http-{status}", f"HTTP {status} from {location}")
                chunks, size = [], 0
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > self.settings.max_body_bytes:
                        raise BadDocument(
                            "too-large", f"{location} is over {self.settings.max_body_bytes} bytes"
                        )
                    chunks.append(chunk)
                return Fetched(b"".join(chunks), str(resp.url), resp.headers.get("content-type"))
        except httpx.TooManyRedirects:
            raise BadDocument("redirects", f"more than 5 redirects from {location}") from None
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as e:
            raise TransientSourceError(f"{type(e).__name__} fetching {location}: {e}") from None
        except httpx.InvalidURL as e:
            raise BadDocument("bad-url", f"invalid URL {location!r}: {e}") from None

    def close(self) -> None:
        self._client.close()


def client_for(location: str, settings: Settings) -> Client:
    return HttpClient(settings) if _is_url(location) else LocalClient()


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class SourceResult:
    """What one source gave tonight: documents, and the failures met while reading it."""

    source: str
    documents: tuple[RawDocument, ...]
    failures: tuple[Failure, ...]


def read_source(
    source: Source,
    fetched_at: str,
    settings: Settings,
    make_client: Callable[[str, Settings], Client] = client_for,
) -> SourceResult:
    """Read one source. TransientSourceError propagates (so Prefect retries); all else is recorded."""
    if source.kind == "folder":
        docs, fails = _collect(read_folder(source, fetched_at))
    else:
        client = make_client(source.location, settings)
        try:
            docs, fails = _collect(read_feed(source, client, fetched_at, make_client, settings))
        finally:
            getattr(client, "close", lambda: None)()
    return SourceResult(source.name, tuple(docs), tuple(fails))


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
) -> RawDocument:
    """Build a RawDocument with its deterministic key."""
    raw_id = stable_id(source, locator, hashlib.sha256(body).hexdigest())
    return RawDocument(raw_id, source, locator, kind, body, fetched_at, url, title, published, authors)


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
                body = LocalClient().fetch(str(path)).body
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
    body = LocalClient().fetch(str(path)).body
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


@dataclass(frozen=True)
class FeedEntry:
    """One normalized feed entry."""

    guid: str | None
    link: str | None
    title: str | None
    published: str | None  # ISO 8601 UTC
    authors: tuple[str, ...]
    content: str | None  # the full content (HTML) when the feed carries it


def parse_feed(body: bytes, base_url: str | None = None) -> list[FeedEntry]:
    """Parse RSS/Atom/RDF bytes. Raises BadDocument('malformed-feed') when nothing usable is in it."""
    parsed = feedparser.parse(body, response_headers={"content-location": base_url} if base_url else None)
    if not parsed.entries:
        if parsed.bozo:
            reason = _first_line(parsed.get("bozo_exception", "unknown error"))
            raise BadDocument("malformed-feed", f"not a readable feed: {reason}")
        if not parsed.get("version"):
            raise BadDocument("malformed-feed", "not an RSS/Atom/RDF feed")
    return [_entry(e) for e in parsed.entries]


def _entry(e: feedparser.FeedParserDict) -> FeedEntry:
    stamp = e.get("published_parsed") or e.get("updated_parsed")
    published = (
        datetime.fromtimestamp(calendar.timegm(stamp), tz=timezone.utc).isoformat() if stamp else None
    )
    content = None
    for c in e.get("content") or []:
        value = c.get("value") or ""
        if len(value) > len(content or "") and len(value) > len(e.get("summary") or ""):
            content = value
    return FeedEntry(
        guid=e.get("id"), link=e.get("link"), title=e.get("title"), published=published,
        authors=tuple(a["name"] for a in e.get("authors") or [] if a.get("name")), content=content,
    )


def read_feed(
    source: Source,
    client: Client,
    fetched_at: str,
    make_client: Callable[[str, Settings], Client] = client_for,
    settings: Settings | None = None,
) -> Iterator[RawDocument | Failure]:
    """Yield a RawDocument per feed entry: its full content, or else its linked page over HTTP."""
    try:
        fetched = client.fetch(source.location)
        entries = parse_feed(fetched.body, fetched.url if _is_url(fetched.url) else None)
    except BadDocument as e:
        yield Failure.of(source.name, source.location, "source", e.reason, e.detail)
        return
    page_client: Client | None = None
    try:
        for entry in entries:
            locator = entry.link or entry.guid or f"{source.location}#{entry.title}"
            if entry.content:
                yield raw_document(
                    source.name, locator, "html", entry.content.encode("utf-8"), fetched_at,
                    url=entry.link, title=entry.title, published=entry.published, authors=entry.authors,
                )
            elif entry.link and _is_url(entry.link):
                if page_client is None:
                    page_client = make_client(entry.link, settings or Settings())
                try:
                    page = page_client.fetch(entry.link)
                except BadDocument as e:
                    yield Failure.of(source.name, locator, "source", e.reason, e.detail)
                    continue
                yield raw_document(
                    source.name, locator, "html", page.body, fetched_at,
                    url=page.url, title=entry.title, published=entry.published, authors=entry.authors,
                )
            else:
                yield Failure.of(
                    source.name, locator, "source", "no-content",
                    "entry has neither full content nor an http(s) link to fetch",
                )
    finally:
        if page_client is not None:
            getattr(page_client, "close", lambda: None)()


def outcome(source: Source, result: SourceResult | BaseException) -> SourceResult:
    """A source's result, or the error that ended it (after retries) as a recorded failure."""
    if isinstance(result, SourceResult):
        return result
    reason = "fetch-failed" if isinstance(result, TransientSourceError) else "source-error"
    detail = _first_line(result)
    return SourceResult(source.name, (), (Failure.of(source.name, source.location, "source", reason, detail),))


def select_new(results: list[SourceResult], known: set[str]) -> tuple[list[RawDocument], list[Failure]]:
    """Tonight's documents not already stored (by raw_id, first copy wins), and all failures."""
    docs: list[RawDocument] = []
    seen = set(known)
    failures: list[Failure] = []
    for r in results:
        failures.extend(r.failures)
        for d in r.documents:
            if d.raw_id not in seen:
                seen.add(d.raw_id)
                docs.append(d)
    return docs, failures


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
    """Exponential backoff for source retries: delay, 4 x delay, 16 x delay, ..."""
    return [settings.retry_delay_seconds * 4**i for i in range(settings.retries)]


@task(name="read-source", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[2, 8, 32],
      retry_jitter_factor=0.5, retry_condition_fn=is_transient)
def read_source_task(source: Source, fetched_at: str, settings: Settings) -> SourceResult:
    result = read_source(source, fetched_at, settings)
    run_logger().info("%s: %d documents, %d failures", source.name, len(result.documents), len(result.failures))
    return result


@task(name="select-new", cache_policy=NO_CACHE)
def select_new_task(results: list[SourceResult], db_path: Path) -> tuple[list[RawDocument], list[Failure]]:
    ids = [d.raw_id for r in results for d in r.documents]
    docs, failures = select_new(results, known_raw_ids(db_path, ids))
    run_logger().info("%d documents read, %d new", len(ids), len(docs))
    return docs, failures
