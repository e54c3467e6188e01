"""A polite, thread-safe HTTP fetcher for live sources (httpx, sync).

One ``Fetcher`` is shared by every thread of a run. For each request it checks the URL and the
addresses its host resolves to (SSRF guard), obeys robots.txt (Disallow and Crawl-delay), limits
requests in flight (globally and per host), retries transient failures with backoff (honouring
Retry-After), follows redirects itself, caps time and body size (compressed and decompressed) and
detects the text encoding. Permanent problems raise ``BadDocument``; transient ones
``TransientSourceError`` once the retries are spent. No Prefect here.
"""

from __future__ import annotations

import codecs
import ipaddress
import random
import re
import socket
import threading
import time
import urllib.robotparser
import zlib
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable, Iterable, Iterator, Sequence
from urllib.parse import urlsplit

import charset_normalizer
import httpx

from tasks.errors import BadDocument, ConfigError, NewsflowError, TransientSourceError

FEED_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
    "text/xml", "application/feed+json", "application/json", "text/html", "application/xhtml+xml",
    "text/plain", "application/octet-stream", "application/x-rss+xml", "application/rss",
})
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
ROBOTS_AGENT = "newsflow"
ROBOTS_MAX_BYTES = 512_000  # RFC 9309: parse at least 500 KiB
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_DECLARED = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_.:-]+)|<\?xml[^>]*?encoding\s*=\s*["']([a-z0-9_.:-]+)""", re.I)


@dataclass(frozen=True)
class FetchPolicy:
    """How the fetcher behaves; see Settings for what each knob means."""

    user_agent: str
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    deadline: float = 120.0  # total seconds for one response incl. body (slow-trickle guard)
    max_body_bytes: int = 10_000_000  # compressed bytes read AND decompressed size
    max_redirects: int = 5
    concurrency: int = 32  # global in-flight limit
    per_host: int = 2  # in-flight limit per origin (scheme://host:port)
    retries: int = 3
    retry_delay: float = 1.0  # backoff base: retry_delay * 2**n, times jitter in [0.5, 1.5]
    max_retry_after: float = 120.0  # a Retry-After (or backoff) longer than this -> give up
    respect_robots: bool = True
    allow_hosts: tuple[str, ...] = ()  # hostnames or CIDR ranges exempt from the SSRF guard

    @classmethod
    def from_settings(cls, settings) -> "FetchPolicy":
        """The policy for `settings`. ConfigError when allow_hosts has a bad address or range."""
        allow = []
        for entry in (e.strip().strip("[]").lower() for e in settings.allow_hosts.split(",")):
            if not entry:
                continue
            if "/" in entry or ":" in entry or re.fullmatch(r"[\d.]+", entry):
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    raise ConfigError(f"NEWSFLOW_ALLOW_HOSTS: {entry!r} is not a valid address or CIDR range") from None
            allow.append(entry)
        return cls(
            user_agent=settings.user_agent, connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout, deadline=settings.fetch_deadline,
            max_body_bytes=settings.max_body_bytes, concurrency=settings.concurrency,
            per_host=settings.per_host_limit, retries=settings.retries,
            retry_delay=settings.retry_delay_seconds, max_retry_after=settings.max_retry_after,
            respect_robots=settings.respect_robots, allow_hosts=tuple(allow),
        )


@dataclass(frozen=True)
class Response:
    url: str  # final URL after redirects
    status: int  # 200-class, or 304
    body: bytes  # decompressed; b"" for 304
    content_type: str | None  # media type only, lower-cased
    encoding: str | None  # codecs name of the detected charset; None if not text
    encoding_source: str | None  # "bom" | "header" | "meta" | "detected"
    etag: str | None
    last_modified: str | None
    attempts: int  # 1 + retries used

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class RobotsEntry:
    """One origin's robots.txt as fetched, cached across runs (RFC 9309 allows a day)."""

    origin: str  # scheme://host:port
    status: int | None  # None when unreachable
    body: str  # "" unless 2xx
    fetched_at: str  # ISO 8601 UTC


@dataclass(frozen=True)
class RequestRecord:
    """One HTTP request actually sent."""

    url: str
    status: int | None  # None when no response came (timeout, connection error)
    conditional: bool  # sent If-None-Match or If-Modified-Since
    robots: bool  # a robots.txt request


# --------------------------------------------------------------------------- pure helpers


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date; `now` is epoch time)."""
    value = (value or "").strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
        return max(0.0, (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp() - now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def backoff_delay(attempt: int, base: float, rng: random.Random) -> float:
    """Delay before retry number `attempt` (0-based): base * 2**attempt, jittered by [0.5, 1.5]."""
    return base * 2**attempt * rng.uniform(0.5, 1.5)


def _networks(allow: Iterable) -> list:
    nets = []
    for entry in allow:
        try:
            nets.append(entry if hasattr(entry, "network_address") else ipaddress.ip_network(entry, strict=False))
        except ValueError:
            pass  # a hostname
    return nets


def is_blocked_address(ip, allow: Iterable = ()) -> str | None:
    """The kind of non-public address `ip` is ("loopback", "private", ...), None if public or allowed.

    `allow` holds CIDR ranges or addresses (strings or ipaddress networks); hostnames are ignored.
    """
    addr = ipaddress.ip_address(ip.split("%")[0] if isinstance(ip, str) else ip)
    if addr.version == 6 and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    if any(addr.version == net.version and addr in net for net in _networks(allow)):
        return None
    for kind, flag in (("unspecified", addr.is_unspecified), ("loopback", addr.is_loopback),
                       ("link-local", addr.is_link_local), ("multicast", addr.is_multicast),
                       ("reserved", addr.is_reserved), ("private", addr.is_private),
                       ("non-public", not addr.is_global)):
        if flag:
            return kind
    return None


def _codec(name: str | None) -> str | None:
    try:
        return codecs.lookup(name.strip().strip("\"'")).name if name else None
    except LookupError:
        return None


SAMPLE_BYTES = 65_536  # how much of a body the charset checks decode (the cleaner decodes it all)


def _decodes(body: bytes, codec: str) -> bool:
    """Whether `codec` decodes the first SAMPLE_BYTES of `body` (a character cut at the end is fine).

    A sample, not the whole body: this check costs a sixth of a request's CPU on 170 KB pages
    otherwise, and clean.decode_body decodes the whole page strictly anyway, falling back to its
    own detection if the charset chosen here fails further on.
    """
    sample = body[:SAMPLE_BYTES]
    try:
        sample.decode(codec)
        return True
    except UnicodeDecodeError as e:
        return len(body) > SAMPLE_BYTES and e.start >= len(sample) - 4 and "end of data" in e.reason
    except LookupError:
        return False


def detect_encoding(body: bytes, header_charset: str | None) -> tuple[str | None, str | None]:
    """(codecs name, source) of `body`: BOM, header charset, <meta>/<?xml?>, then charset-normalizer.

    A declared charset is used only if it decodes the body strictly; a declared latin-1 becomes
    cp1252 when that decodes too (as browsers do), and so does a detection tie that includes it.
    Returns (None, None) when nothing fits.
    """
    candidates = [(name, "bom") for bom, name in _BOMS if body.startswith(bom)][:1]
    candidates.append((header_charset, "header"))
    m = _DECLARED.search(body[:4096])
    if m:
        candidates.append(((m.group(1) or m.group(2)).decode("ascii"), "meta"))
    for name, source in candidates:
        codec = _codec(name)
        if codec == "iso8859-1" and _decodes(body, "cp1252"):
            codec = "cp1252"
        if codec and _decodes(body, codec):
            return codec, source
    matches = charset_normalizer.from_bytes(body[:200_000])
    best = matches.best()
    if best is None:
        return None, None
    tied = {_codec(name) for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)
            for name in m.could_be_from_charset}
    codec = "cp1252" if "cp1252" in tied else _codec(best.encoding)  # on a tie, the web's usual legacy charset
    return (codec, "detected") if codec else (None, None)


def _media_type(value: str | None) -> tuple[str | None, str | None]:
    """(media type lower-cased, charset) from a Content-Type header."""
    if not value:
        return None, None
    media, *params = value.split(";")
    charset = None
    for p in params:
        k, _, v = p.partition("=")
        if k.strip().lower() == "charset":
            charset = v.strip().strip("\"'") or None
    return media.strip().lower() or None, charset


def _is_text(media: str | None) -> bool:
    return media is None or media.startswith("text/") or any(t in media for t in ("xml", "html", "json"))


class _Inflater:
    """Decodes a gzip/deflate/identity body chunk by chunk, refusing output past `cap` bytes."""

    def __init__(self, coding: str | None, cap: int, url: str):
        coding = (coding or "identity").strip().lower()
        if coding not in ("identity", "gzip", "x-gzip", "deflate"):
            raise BadDocument("bad-encoding", f"{url}: unsupported Content-Encoding {coding!r}")
        self.coding, self.cap, self.url, self.size = coding, cap, url, 0
        self._d = zlib.decompressobj(31) if "gzip" in coding else None
        self._head = b""  # deflate: the first bytes, until zlib-wrapped vs raw is known
        self._members, self._done, self._fed = 1, False, False

    def feed(self, data: bytes) -> bytes:
        if self.coding != "identity":
            data = self._inflate(data)
        self.size += len(data)
        if self.size > self.cap:
            raise BadDocument("too-large", f"{self.url} decompresses to over {self.cap} bytes")
        return data

    def _inflate(self, data: bytes) -> bytes:
        self._fed = self._fed or bool(data)
        if self._d is None:  # deflate: zlib-wrapped (RFC 1950) or raw, as some servers send
            self._head += data
            if len(self._head) < 2:
                return b""
            data, h = self._head, self._head
            self._d = zlib.decompressobj(15 if h[0] & 0x0F == 8 and int.from_bytes(h[:2], "big") % 31 == 0 else -15)
        out = b""
        while data and not self._done:
            room = self.cap - self.size - len(out)
            if self._d.eof:  # another gzip member; anything after a deflate stream is ignored
                self._done = "gzip" not in self.coding
                self._d, self._members = zlib.decompressobj(31), self._members + 1
                continue
            try:
                out += self._d.decompress(data, room + 1)  # never inflates more than the cap allows
            except zlib.error as e:
                if self._members > 1:  # trailing junk after a complete gzip stream
                    self._done = True
                    break
                raise BadDocument("bad-encoding", f"{self.url}: corrupt {self.coding} body ({e})") from None
            if len(out) > room:
                break
            data = self._d.unused_data if self._d.eof else b""
        return out

    def finish(self) -> None:
        if self._fed and not (self._done or self._d and self._d.eof):
            raise TransientSourceError(f"{self.url}: {self.coding} body ends early", "truncated")


# --------------------------------------------------------------------------- the fetcher


_LIBC: object = None
TRIM_EVERY = 500  # responses between two malloc_trim calls


def _libc() -> object:
    """glibc, or False where there is none."""
    global _LIBC
    if _LIBC is None:
        try:
            import ctypes

            _LIBC = ctypes.CDLL("libc.so.6")
            _LIBC.malloc_trim  # noqa: B018 - glibc only
        except (OSError, AttributeError):
            _LIBC = False
    return _LIBC


def tune_malloc() -> None:
    """Cap glibc's malloc arenas at 2 (as MALLOC_ARENA_MAX=2 would). A no-op without glibc.

    With one arena per thread, the bodies that 64 fetching threads allocate and free fragment a
    dozen heaps: 3,000 pages peaked at 348-376 MB RSS, against 138-152 MB with 2 arenas, at the
    same speed (Python's own peak was 32 MB). See also release_memory().
    """
    libc = _libc()
    if libc:
        libc.mallopt(-8, 2)  # M_ARENA_MAX


def release_memory() -> None:
    """Hand free heap pages back to the OS (glibc malloc_trim). Called every TRIM_EVERY responses:
    without it the fetcher's RSS still grew with the pages fetched (145 MB after 3,000, 301 MB
    after 10,000); with it, 109 MB after 10,000, at the same speed."""
    libc = _libc()
    if libc:
        libc.malloc_trim(0)


def interleave_by_host(urls: Sequence[str]) -> list[str]:
    """The URLs round-robin over their hosts (each host's own order kept): a1 b1 c1 a2 b2 a3 ..."""
    queues: dict[str, list[str]] = {}
    for u in urls:
        queues.setdefault(urlsplit(u).netloc.lower(), []).append(u)
    out: list[str] = []
    for i in range(max((len(q) for q in queues.values()), default=0)):
        out.extend(q[i] for q in queues.values() if i < len(q))
    return out


class Fetcher:
    """Fetches http(s) URLs politely and safely; one instance may serve many threads."""

    def __init__(self, policy: FetchPolicy, *, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep, resolver=socket.getaddrinfo,
                 rng: random.Random | None = None, robots: Sequence[RobotsEntry] = ()):
        """`robots`: robots.txt files fetched earlier (a day's cache); unavailable ones are asked again."""
        tune_malloc()
        self.policy = policy
        self._sleep, self._resolver, self._rng = sleep, resolver, rng or random.Random()
        self._client = httpx.Client(
            transport=transport, follow_redirects=False, trust_env=False,
            headers={"User-Agent": policy.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(connect=policy.connect_timeout, read=policy.read_timeout,
                                  write=policy.read_timeout, pool=policy.deadline),
            limits=httpx.Limits(max_connections=policy.concurrency, max_keepalive_connections=policy.concurrency),
        )
        self._allow_names = {h.lower() for h in policy.allow_hosts}
        self._allow_nets = _networks(policy.allow_hosts)
        self._global = threading.BoundedSemaphore(policy.concurrency)
        self._lock = threading.Lock()
        self._host_slots: dict[str, threading.BoundedSemaphore] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._robots: dict[str, tuple[urllib.robotparser.RobotFileParser, str | None]] = {}
        self._delays: dict[str, float] = {}  # origin -> Crawl-delay
        self._next_start: dict[str, float] = {}  # origin -> earliest monotonic time of the next request
        self._fetched_robots: list[RobotsEntry] = []
        for entry in robots:
            rules = self._robots_rules(entry.origin, entry.status, entry.body)
            if not rules[1]:
                self._robots[entry.origin] = rules
        self.requests: list[RequestRecord] = []
        self._responses = 0

    # -- public

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
            accept: frozenset[str] | None = None) -> Response:
        """GET `url`. BadDocument: permanent problem; TransientSourceError: retries ran out."""
        headers = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
        final, status, hdrs, body, tries = self._fetch(url, headers, accept=accept, robots=False)
        with self._lock:
            self._responses += 1
            trim = self._responses % TRIM_EVERY == 0
        if trim:
            release_memory()
        media, charset = _media_type(hdrs.get("content-type"))
        etag, last_modified = hdrs.get("etag") or etag, hdrs.get("last-modified") or last_modified
        if status == 304:
            return Response(final, 304, b"", media, None, None, etag, last_modified, tries)
        if not body:
            raise BadDocument("empty", f"{final} returned an empty body (HTTP {status})")
        encoding, source = detect_encoding(body, charset) if _is_text(media) else (None, None)
        return Response(final, status, body, media, encoding, source, etag, last_modified, tries)

    def get_many(self, urls: Sequence[str], *, accept: frozenset[str] | None = None
                 ) -> Iterator[tuple[str, Response | NewsflowError]]:
        """GET `urls` concurrently; yield (url, Response or BadDocument/TransientSourceError) as each
        completes (not in input order, so that a caller can drop each body as it arrives).

        URLs are queued round-robin over their hosts, so one host's long queue never holds up the
        others while it waits for its per-host slots.
        """
        def one(url: str) -> Response | NewsflowError:
            try:
                return self.get(url, accept=accept)
            except (BadDocument, TransientSourceError) as e:
                return e

        if not urls:
            return
        pool = ThreadPoolExecutor(max_workers=max(1, min(self.policy.concurrency, len(urls))))
        try:
            futures = {pool.submit(one, u): u for u in interleave_by_host(urls)}
            for future in as_completed(futures):
                yield futures.pop(future), future.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def fetched_robots(self) -> list[RobotsEntry]:
        """The robots.txt files this Fetcher requested (not those it was given), to cache."""
        with self._lock:
            return list(self._fetched_robots)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- redirects, robots, retries

    def _fetch(self, url: str, headers: dict[str, str], *, accept, robots: bool):
        """Follow redirects by hand: (final url, status, headers, body, attempts)."""
        seen, tries = set(), 0
        for _ in range(self.policy.max_redirects + 1):
            parsed = _parse_url(url)
            seen.add(str(parsed.copy_with(fragment=None)))
            if self.policy.respect_robots and not robots:
                self._check_robots(parsed, url)
            status, hdrs, body, n = self._send(url, parsed, headers, accept=accept, robots=robots)
            tries += n
            if status not in REDIRECTS:
                return url, status, hdrs, body, tries
            location = hdrs.get("location", "").strip()
            if not location:
                raise BadDocument(f"http-{status}", f"{url} redirects (HTTP {status}) without a Location")
            try:
                nxt = str(parsed.join(location).copy_with(fragment=None))
            except (httpx.InvalidURL, ValueError) as e:
                raise BadDocument("bad-url", f"{url} redirects to a bad URL {location!r}: {e}") from None
            if nxt in seen:
                raise BadDocument("redirect-loop", f"{url} redirects in a loop back to {nxt}")
            url = nxt
        raise BadDocument("too-many-redirects", f"more than {self.policy.max_redirects} redirects, ending at {url}")

    def _check_robots(self, parsed: httpx.URL, url: str) -> None:
        origin = _origin(parsed)
        with self._lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:  # one robots.txt request per origin, however many threads ask
            if origin not in self._robots:
                self._robots[origin] = self._load_robots(origin)
        parser, unavailable = self._robots[origin]
        if unavailable:
            # the host is down (timeout, connection error...): say so; it answered 5xx/429: robots-unavailable
            reason = "robots-unavailable" if unavailable.startswith("http-") else unavailable
            raise TransientSourceError(f"not fetching {url}: {origin}/robots.txt is unavailable ({unavailable})",
                                       reason)
        if not parser.can_fetch(ROBOTS_AGENT, url):
            raise BadDocument("robots-disallowed", f"{origin}/robots.txt disallows {url}")

    def _load_robots(self, origin: str) -> tuple[urllib.robotparser.RobotFileParser, str | None]:
        """Fetch and record one origin's robots.txt; see _robots_rules for what it means."""
        why = None
        try:
            _, status, _, body, _ = self._fetch(origin + "/robots.txt", {}, accept=None, robots=True)
            text = body[:ROBOTS_MAX_BYTES].decode("utf-8-sig", "replace")
        except TransientSourceError as e:
            status, text, why = (int(e.reason[5:]) if e.reason.startswith("http-") else None), "", e.reason
        except BadDocument as e:  # 4xx; or unusable (too large, redirect loop...): allow all, not recorded
            if not e.reason.startswith("http-"):
                return self._robots_rules(origin, 404, "")
            status, text = int(e.reason[5:]), ""
        with self._lock:
            self._fetched_robots.append(RobotsEntry(origin, status, text, _utc_now()))
        parser, unavailable = self._robots_rules(origin, status, text)
        return parser, unavailable and (why or unavailable)

    def _robots_rules(self, origin: str, status: int | None, text: str):
        """RFC 9309: 2xx -> obey (and note Crawl-delay); 4xx -> allow all; 429, 5xx, unreachable -> disallow all.

        Returns (parser, None) or (disallow-all parser, why unavailable).
        """
        parser = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
        if status is None or status == 429 or status >= 500:
            parser.disallow_all = True
            return parser, "unreachable" if status is None else f"http-{status}"
        if status >= 300:
            parser.allow_all = True
            return parser, None
        parser.parse(text.splitlines())
        delay = parser.crawl_delay(ROBOTS_AGENT)
        if delay:
            with self._lock:
                self._delays[origin] = min(float(delay), self.policy.max_retry_after)
        return parser, None

    def _send(self, url: str, parsed: httpx.URL, headers, *, accept, robots: bool):
        """One URL with retries: (status, headers, body, attempts)."""
        p = self.policy
        for n in range(p.retries + 1):
            try:
                return (*self._attempt(url, parsed, headers, accept=accept, robots=robots), n + 1)
            except TransientSourceError as e:
                if n == p.retries:
                    raise TransientSourceError(f"{e.detail} (after {n + 1} attempts)", e.reason) from None
                wait = backoff_delay(n, p.retry_delay, self._rng)
                wait = max(wait, getattr(e, "retry_after", None) or 0.0)
                if wait > p.max_retry_after:
                    raise TransientSourceError(
                        f"{e.detail}; the next try would be in {wait:.0f} s, over the {p.max_retry_after:.0f} s limit",
                        e.reason) from None
                self._sleep(wait)  # holding no slot
        raise AssertionError("unreachable")

    # -- one request

    def _attempt(self, url: str, parsed: httpx.URL, headers, *, accept, robots: bool):
        self._guard(url, parsed)
        origin = _origin(parsed)
        with self._lock:
            host_slot = self._host_slots.setdefault(origin, threading.BoundedSemaphore(self.policy.per_host))
        with host_slot:
            self._wait_turn(origin)
            with self._global:
                return self._request(url, headers, accept=accept, robots=robots)

    def _request(self, url: str, headers, *, accept, robots: bool):
        status = None
        start = time.monotonic()
        try:
            with self._client.stream("GET", url, headers=headers) as r:
                status = r.status_code
                if status in REDIRECTS or status == 304:
                    return status, r.headers, b""
                if status == 429 or status >= 500:
                    e = TransientSourceError(f"HTTP {status} from {url}", f"http-{status}")
                    if status in (429, 503):
                        e.retry_after = parse_retry_after(r.headers.get("retry-after"), time.time())
                    raise e
                if not 200 <= status < 300:
                    raise BadDocument(f"http-{status}", f"HTTP {status} from {url}")
                media, _ = _media_type(r.headers.get("content-type"))
                if accept is not None and media is not None and media not in accept:
                    raise BadDocument("bad-content-type", f"{url} is {media}, expected one of {', '.join(sorted(accept))}")
                return status, r.headers, self._read_body(r, url, start)
        except httpx.TimeoutException as e:
            raise TransientSourceError(f"timed out fetching {url} ({type(e).__name__})", "timeout") from None
        except (httpx.NetworkError, httpx.RemoteProtocolError) as e:
            reason = "connection-error" if status is None else "truncated"
            raise TransientSourceError(f"{reason} fetching {url}: {e or type(e).__name__}", reason) from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, httpx.LocalProtocolError) as e:
            raise BadDocument("bad-url", f"cannot request {url!r}: {e}") from None
        finally:
            conditional = "If-None-Match" in headers or "If-Modified-Since" in headers
            with self._lock:
                self.requests.append(RequestRecord(url, status, conditional, robots))

    def _read_body(self, r: httpx.Response, url: str, start: float) -> bytes:
        cap, deadline = self.policy.max_body_bytes, self.policy.deadline
        length = r.headers.get("content-length", "").strip()
        if length.isdigit() and int(length) > cap:
            raise BadDocument("too-large", f"{url} is {length} bytes, over the {cap}-byte limit")
        in_memory = r.is_stream_consumed  # a response built with content= (httpx.MockTransport): decoded
        inflater = _Inflater(None if in_memory else r.headers.get("content-encoding"), cap, url)
        parts, read = [], 0
        for chunk in [r.content] if in_memory else r.iter_raw():
            read += len(chunk)
            if read > cap:
                raise BadDocument("too-large", f"{url} sent over {cap} bytes")
            if time.monotonic() - start > deadline:
                raise TransientSourceError(f"{url} took over {deadline:g} s to arrive", "timeout")
            parts.append(inflater.feed(chunk))
        inflater.finish()
        return b"".join(parts)

    def _guard(self, url: str, parsed: httpx.URL) -> None:
        """SSRF guard: refuse hosts resolving to non-public addresses unless allowed."""
        host = parsed.host.lower()
        if host in self._allow_names:
            return
        try:
            ips = [host] if _is_ip(host) else [info[4][0] for info in self._resolver(host, parsed.port or _PORTS[parsed.scheme])]
        except socket.gaierror as e:
            raise TransientSourceError(f"cannot resolve {host} ({e})", "dns-error") from None
        except (UnicodeError, ValueError) as e:
            raise BadDocument("bad-url", f"bad host in {url!r}: {e}") from None
        for ip in ips:
            kind = is_blocked_address(ip, self._allow_nets)
            if kind:
                article = "an" if kind[0] in "aeiou" else "a"
                raise BadDocument("blocked-address", f"refused {url}: {host} resolves to {ip}, {article} {kind} "
                                  "address; add it to NEWSFLOW_ALLOW_HOSTS to allow it")

    def _wait_turn(self, origin: str) -> None:
        """Crawl-delay: space request starts to one origin, reserving a start time under the lock."""
        with self._lock:
            delay = self._delays.get(origin)
            if not delay:
                return
            now = time.monotonic()
            start = max(now, self._next_start.get(origin, now))
            self._next_start[origin] = start + delay
        if start > now:
            self._sleep(start - now)


_PORTS = {"http": 80, "https": 443}


def _parse_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as e:
        raise BadDocument("bad-url", f"invalid URL {url!r}: {e}") from None
    if parsed.scheme not in _PORTS or not parsed.host:
        raise BadDocument("bad-url", f"not an http(s) URL: {url!r}")
    return parsed


def _origin(parsed: httpx.URL) -> str:
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{parsed.scheme}://{host.lower()}:{parsed.port or _PORTS[parsed.scheme]}"


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False
