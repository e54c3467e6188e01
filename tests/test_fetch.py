"""tasks.fetch against real sockets on 127.0.0.1 (tests.httpserver), with a fake sleep to stay fast."""

from __future__ import annotations

import gzip
import random
import socket
import threading
import time
import tracemalloc
import zlib
from email.utils import formatdate

import httpx
import pytest

from tasks.errors import BadDocument, ConfigError, TransientSourceError
from tasks.fetch import (
    FEED_TYPES, PAGE_TYPES, Fetcher, FetchPolicy, Response, RobotsEntry, backoff_delay, detect_encoding,
    interleave_by_host, is_blocked_address, parse_retry_after,
)
from tasks.settings import Settings
from tests.httpserver import LocalServer

UA = "newsflow-test/1 (+https://example.org/contact)"
HTML = {"Content-Type": "text/html; charset=utf-8"}
FRENCH = ("Le café de la gare a rouvert ses portes après les travaux. Les habitués ont retrouvé "
          "leur table préférée près de la fenêtre, et le patron a salué chacun d'entre eux. "
          "« C'était long », a déclaré une cliente âgée, très émue. ") * 6


@pytest.fixture
def srv():
    with LocalServer() as s:
        yield s


class Sleeps(list):
    """A fake sleep: records the waits asked for, returns at once."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def make():
    """make(**policy) -> (Fetcher, Sleeps); local addresses allowed, short timeouts, fake sleep."""
    fetchers = []

    def factory(sleep=None, resolver=socket.getaddrinfo, transport=None, robots=(), **kw):
        kw = {"allow_hosts": ("127.0.0.1",), "connect_timeout": 2.0, "read_timeout": 2.0,
              "deadline": 5.0, "retries": 2, "retry_delay": 0.5, **kw}
        sleeps = Sleeps()
        f = Fetcher(FetchPolicy(user_agent=UA, **kw), sleep=sleep or sleeps, resolver=resolver,
                    transport=transport, rng=random.Random(1), robots=robots)
        fetchers.append(f)
        return f, sleeps

    yield factory
    for f in fetchers:
        f.close()


def fails(fn, *args, **kw):
    """The BadDocument/TransientSourceError `fn` raises."""
    with pytest.raises((BadDocument, TransientSourceError)) as info:
        fn(*args, **kw)
    return info.value


def answer(h, status=200, headers=(), body=b""):
    h.send_response(status)
    for k, v in headers:
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(body)


# --------------------------------------------------------------------------- headers, retries


def test_user_agent_and_accept_encoding_on_pages_and_robots(srv, make):
    srv.route("/robots.txt", (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"))
    url = srv.route("/page", (200, HTML, b"<p>hello</p>"))
    f, _ = make()
    resp = f.get(url)
    assert (resp.status, resp.body, resp.content_type, resp.attempts) == (200, b"<p>hello</p>", "text/html", 1)
    assert (resp.encoding, resp.encoding_source) == ("utf-8", "header")
    assert srv.paths() == ["/robots.txt", "/page"]
    for _, headers in srv.log:
        assert headers["User-Agent"] == UA
        assert headers["Accept-Encoding"] == "gzip, deflate"
    assert [(r.robots, r.status) for r in f.requests] == [(True, 200), (False, 200)]


def test_500_then_200_is_retried(srv, make):
    url = srv.route("/flaky", (500, {}, b"oops"), (200, HTML, b"<p>ok</p>"))
    f, sleeps = make()
    resp = f.get(url)
    assert resp.attempts == 2 and resp.body == b"<p>ok</p>"
    assert srv.hits["/flaky"] == 2 and len(sleeps) == 1 and 0.25 <= sleeps[0] <= 0.75


def test_5xx_retries_run_out_with_backoff(srv, make):
    url = srv.route("/down", (503, {}, b"busy"))
    f, sleeps = make(retries=3, retry_delay=1.0)
    err = fails(f.get, url)
    assert isinstance(err, TransientSourceError) and err.reason == "http-503"
    assert srv.hits["/down"] == 4
    assert [0.5 <= s / 2**n <= 1.5 for n, s in enumerate(sleeps)] == [True] * 3


def test_429_retry_after_is_honoured(srv, make):
    url = srv.route("/busy", (429, {"Retry-After": "2"}, b""), (200, HTML, b"<p>ok</p>"))
    f, sleeps = make(retry_delay=0.1)
    assert f.get(url).attempts == 2
    assert sleeps and sleeps[0] >= 2


def test_retry_after_over_the_limit_gives_up_at_once(srv, make):
    url = srv.route("/busy", (429, {"Retry-After": "3600"}, b""))
    f, sleeps = make(max_retry_after=120)
    err = fails(f.get, url)
    assert isinstance(err, TransientSourceError) and err.reason == "http-429"
    assert srv.hits["/busy"] == 1 and sleeps == []


def test_404_is_not_retried(srv, make):
    url = srv.route("/missing", (404, {}, b"no"))
    f, sleeps = make()
    err = fails(f.get, url)
    assert isinstance(err, BadDocument) and err.reason == "http-404"
    assert srv.hits["/missing"] == 1 and sleeps == []


def test_host_slot_is_released_while_sleeping_for_a_retry(srv, make):
    flaky = srv.route("/flaky", (503, {}, b""), (200, HTML, b"<p>a</p>"))
    other = srv.route("/other", (200, HTML, b"<p>b</p>"))
    done = []

    def sleep(seconds):  # another request to the same host while the first one waits
        t = threading.Thread(target=lambda: done.append(f.get(other)))
        t.start()
        t.join(3)

    f, _ = make(per_host=1, sleep=sleep)
    assert f.get(flaky).body == b"<p>a</p>"
    assert [r.body for r in done] == [b"<p>b</p>"]


# --------------------------------------------------------------------------- time limits


def test_slow_trickle_hits_the_deadline(srv, make):
    def trickle(h):
        h.send_response(200)
        h.send_header("Content-Type", "text/plain")
        h.end_headers()
        for _ in range(50):
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(0.2)

    url = srv.route_fn("/slow", trickle)
    f, _ = make(deadline=1.0, read_timeout=2.0, retries=0)
    t0 = time.monotonic()
    err = fails(f.get, url)
    assert isinstance(err, TransientSourceError) and err.reason == "timeout"
    assert 0.9 < time.monotonic() - t0 < 2.5


def test_a_server_that_never_answers_times_out(srv, make):
    url = srv.route_fn("/hang", lambda h: srv.stopping.wait(10))
    f, sleeps = make(read_timeout=0.3, retries=1)
    t0 = time.monotonic()
    err = fails(f.get, url)
    assert isinstance(err, TransientSourceError) and err.reason == "timeout"
    assert srv.hits["/hang"] == 2 and len(sleeps) == 1
    assert time.monotonic() - t0 < 3
    assert [r.status for r in f.requests if not r.robots] == [None, None]


def test_connection_refused_is_a_connection_error(make):
    with LocalServer() as gone:
        url = gone.base + "/x"
    f, sleeps = make(retries=1, respect_robots=False)
    err = fails(f.get, url)
    assert isinstance(err, TransientSourceError) and err.reason == "connection-error"
    assert len(sleeps) == 1


def test_truncated_body_is_retried_then_reported(srv, make):
    url = srv.route_fn("/cut", lambda h: answer(h, 200, [("Content-Length", "1000")], b"only ten b"))
    f, sleeps = make(retries=2)
    err = fails(f.get, url)
    assert isinstance(err, TransientSourceError) and err.reason == "truncated"
    assert srv.hits["/cut"] == 3 and len(sleeps) == 2


# --------------------------------------------------------------------------- redirects


def test_redirects_are_followed_up_to_the_limit(srv, make):
    for i in range(5):
        srv.route(f"/r{i}", (302, {"Location": f"r{i + 1}" if i % 2 else f"{srv.base}/r{i + 1}"}, b""))
    srv.route("/r5", (200, HTML, b"<p>here</p>"))
    f, _ = make()
    resp = f.get(srv.base + "/r0")
    assert resp.url == srv.base + "/r5" and resp.body == b"<p>here</p>"


def test_more_than_five_redirects_fail(srv, make):
    for i in range(7):
        srv.route(f"/r{i}", (301, {"Location": f"/r{i + 1}"}, b""))
    f, _ = make()
    err = fails(f.get, srv.base + "/r0")
    assert isinstance(err, BadDocument) and err.reason == "too-many-redirects"
    assert srv.hits.get("/r5") == 1 and "/r6" not in srv.hits  # 1 request + 5 redirects followed


def test_redirect_loop(srv, make):
    srv.route("/a", (302, {"Location": "/b"}, b""))
    srv.route("/b", (307, {"Location": "/a"}, b""))
    f, _ = make()
    err = fails(f.get, srv.base + "/a")
    assert isinstance(err, BadDocument) and err.reason == "redirect-loop"
    assert srv.hits == {"/robots.txt": 1, "/a": 1, "/b": 1}


def test_each_redirect_hop_is_checked(srv, make):
    url = srv.route("/jump", (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""))
    f, _ = make()
    err = fails(f.get, url)
    assert isinstance(err, BadDocument) and err.reason == "blocked-address"
    assert "link-local" in err.detail


# --------------------------------------------------------------------------- body limits


def test_oversize_body_by_content_length(srv, make):
    url = srv.route("/big", (200, {"Content-Type": "text/plain"}, b"x" * 5000))
    f, sleeps = make(max_body_bytes=1000)
    err = fails(f.get, url)
    assert isinstance(err, BadDocument) and err.reason == "too-large"
    assert srv.hits["/big"] == 1 and sleeps == []


def test_oversize_body_while_streaming(srv, make):
    def endless(h):
        answer(h, 200, [("Content-Type", "text/plain")])
        for _ in range(100):
            h.wfile.write(b"y" * 4096)

    url = srv.route_fn("/stream", endless)
    f, _ = make(max_body_bytes=10_000)
    err = fails(f.get, url)
    assert isinstance(err, BadDocument) and err.reason == "too-large"


def test_gzip_bomb_is_refused_without_inflating_it(srv, make):
    bomb = gzip.compress(b"\0" * 10_000_000, 9)
    assert len(bomb) < 20_000
    url = srv.route("/bomb", (200, {"Content-Type": "text/plain", "Content-Encoding": "gzip"}, bomb))
    f, _ = make(max_body_bytes=1_000_000)
    f.get(srv.route("/warm", (200, HTML, b"<p>x</p>")))  # robots and connection set up first
    tracemalloc.start()
    t0 = time.monotonic()
    try:
        err = fails(f.get, url)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(err, BadDocument) and err.reason == "too-large"
    assert time.monotonic() - t0 < 1.0
    assert peak < 4_000_000  # the 10 MB were never inflated


@pytest.mark.parametrize("coding,compress", [
    ("gzip", lambda b: gzip.compress(b)),
    ("gzip", lambda b: gzip.compress(b[:100]) + gzip.compress(b[100:])),  # two members
    ("deflate", zlib.compress),
    ("deflate", lambda b: (lambda c: c.compress(b) + c.flush())(zlib.compressobj(6, zlib.DEFLATED, -15))),  # raw
])
def test_compressed_bodies_are_decoded(srv, make, coding, compress):
    text = FRENCH.encode("utf-8")
    url = srv.route("/z", (200, {"Content-Type": "text/html", "Content-Encoding": coding}, compress(text)))
    f, _ = make(max_body_bytes=len(text))
    assert f.get(url).body == text


def test_empty_body_and_bad_content_type(srv, make):
    f, _ = make()
    err = fails(f.get, srv.route("/empty", (200, HTML, b"")))
    assert isinstance(err, BadDocument) and err.reason == "empty"
    err = fails(f.get, srv.route("/img", (200, {"Content-Type": "image/png"}, b"\x89PNG")), accept=FEED_TYPES)
    assert isinstance(err, BadDocument) and err.reason == "bad-content-type" and "image/png" in err.detail
    assert f.get(srv.route("/html", (200, HTML, b"<p>x</p>")), accept=FEED_TYPES).content_type == "text/html"
    assert f.get(srv.route("/untyped", (200, {}, b"<p>x</p>")), accept=PAGE_TYPES).content_type is None


# --------------------------------------------------------------------------- encodings


def test_wrong_charset_header_falls_through_to_detection(srv, make):
    url = srv.route("/fr", (200, {"Content-Type": "text/html; charset=utf-8"}, FRENCH.encode("cp1252")))
    f, _ = make()
    resp = f.get(url)
    assert resp.encoding_source == "detected"
    assert resp.body.decode(resp.encoding) == FRENCH and "é" in resp.body.decode(resp.encoding)


def test_meta_charset_and_xml_declaration(srv, make):
    page = f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"></head><body>{FRENCH}</body></html>'
    xml = f'<?xml version="1.0" encoding="ISO-8859-15"?><rss><title>{FRENCH}</title></rss>'
    f, _ = make()
    resp = f.get(srv.route("/meta", (200, {"Content-Type": "text/html"}, page.encode("cp1252"))))
    assert (resp.encoding, resp.encoding_source) == ("cp1252", "meta")
    resp = f.get(srv.route("/feed", (200, {"Content-Type": "application/rss+xml"}, xml.encode("iso8859-15"))))
    assert (resp.encoding, resp.encoding_source) == ("iso8859-15", "meta")


def test_bom_wins_over_the_header(srv, make):
    body = "\ufeffCafé ☕".encode("utf-8")
    f, _ = make()
    resp = f.get(srv.route("/bom", (200, {"Content-Type": "text/plain; charset=iso-8859-1"}, body)))
    assert (resp.encoding, resp.encoding_source) == ("utf-8-sig", "bom")
    assert resp.body.decode(resp.encoding) == "Café ☕"
    assert f.get(srv.route("/bin", (200, {"Content-Type": "image/png"}, b"\x89PNG"))).encoding is None


def test_detect_encoding_pure():
    assert detect_encoding("naïve".encode("utf-8"), "UTF8") == ("utf-8", "header")
    assert detect_encoding("naïve".encode("utf-16"), None) == ("utf-16", "bom")
    assert detect_encoding(b"<meta charset='nonsense-42'>" + FRENCH.encode("utf-8"), "bogus") == ("utf-8", "detected")
    assert detect_encoding(FRENCH.encode("cp1252"), None) == ("cp1252", "detected")
    assert detect_encoding("\u201cquoted\u201d".encode("cp1252"), "iso-8859-1") == ("cp1252", "header")


# --------------------------------------------------------------------------- robots.txt


@pytest.mark.parametrize("robots", [
    b"User-agent: otherbot\nDisallow: /\n\nUser-agent: *\nDisallow: /private\n",
    b"User-agent: newsflow\nDisallow: /private\n\nUser-agent: *\nDisallow: /\n",  # our group wins
])
def test_robots_disallow_means_no_request(srv, make, robots):
    srv.route("/robots.txt", (200, {"Content-Type": "text/plain"}, robots))
    srv.route("/public", (200, HTML, b"<p>ok</p>"))
    f, _ = make()
    err = fails(f.get, srv.route("/private/x", (200, HTML, b"<p>secret</p>")))
    assert isinstance(err, BadDocument) and err.reason == "robots-disallowed"
    assert f.get(srv.base + "/public").status == 200
    assert srv.paths() == ["/robots.txt", "/public"]


@pytest.mark.parametrize("delay,cap,expected", [(3, 120, 3), (1000, 5, 5)])  # capped at max_retry_after
def test_crawl_delay_spaces_requests(srv, make, delay, cap, expected):
    srv.route("/robots.txt", (200, {}, f"\ufeffUser-agent: *\nCrawl-delay: {delay}\n".encode()))
    f, sleeps = make(max_retry_after=cap)
    f.get(srv.route("/one", (200, HTML, b"<p>1</p>")))
    f.get(srv.route("/two", (200, HTML, b"<p>2</p>")))
    assert len(sleeps) == 1 and expected - 0.5 <= sleeps[0] <= expected
    assert srv.paths() == ["/robots.txt", "/one", "/two"]


def test_robots_404_allows_everything(srv, make):
    f, _ = make()
    assert f.get(srv.route("/page", (200, HTML, b"<p>ok</p>"))).status == 200
    assert srv.hits["/robots.txt"] == 1


def test_robots_5xx_disallows_the_host_for_the_run(srv, make):
    srv.route("/robots.txt", (500, {}, b"down"))
    url = srv.route("/page", (200, HTML, b"<p>ok</p>"))
    f, _ = make(retries=1)
    for _ in range(2):
        err = fails(f.get, url)
        assert isinstance(err, TransientSourceError) and err.reason == "robots-unavailable"
    assert srv.hits == {"/robots.txt": 2}  # 1 try + 1 retry, once for the run


def test_robots_fetched_once_per_origin_across_threads(srv, make):
    urls = [srv.route(f"/p{i}", (200, HTML, b"<p>x</p>")) for i in range(8)]
    f, _ = make()
    assert all(isinstance(r, Response) for _, r in f.get_many(urls))
    assert srv.hits["/robots.txt"] == 1


def test_fetched_robots_are_reported_and_a_cached_copy_is_reused(srv, make):
    rules = "User-agent: *\nDisallow: /private\n"
    srv.route("/robots.txt", (200, {"Content-Type": "text/plain"}, rules.encode()))
    url = srv.route("/page", (200, HTML, b"<p>ok</p>"))
    first, _ = make()
    first.get(url)
    [entry] = first.fetched_robots()
    assert (entry.origin, entry.status, entry.body) == (f"http://127.0.0.1:{srv.port}", 200, rules)
    assert entry.fetched_at.endswith("+00:00")
    srv.log.clear()
    cached, _ = make(robots=[entry])
    assert cached.get(url).status == 200
    assert fails(cached.get, srv.base + "/private/x").reason == "robots-disallowed"
    assert srv.paths() == ["/page"] and cached.fetched_robots() == []
    srv.log.clear()
    retry, _ = make(robots=[RobotsEntry(entry.origin, None, "", entry.fetched_at)])  # unreachable last time
    assert retry.get(url).status == 200
    assert srv.paths() == ["/robots.txt", "/page"]


def test_unavailable_robots_are_recorded(srv, make):
    srv.route("/robots.txt", (503, {}, b""))
    f, _ = make(retries=0)
    assert fails(f.get, srv.route("/page", (200, HTML, b"<p>ok</p>"))).reason == "robots-unavailable"
    assert [(e.status, e.body) for e in f.fetched_robots()] == [(503, "")]


def test_robots_can_be_ignored(srv, make):
    srv.route("/robots.txt", (200, {}, b"User-agent: *\nDisallow: /\n"))
    f, _ = make(respect_robots=False)
    assert f.get(srv.route("/p", (200, HTML, b"<p>x</p>"))).status == 200
    assert "/robots.txt" not in srv.hits


# --------------------------------------------------------------------------- conditional GET


def test_conditional_get_304(srv, make):
    lm = formatdate(0, usegmt=True)
    url = srv.route("/feed", (304, {"ETag": '"v2"', "Last-Modified": lm}, b""))
    f, _ = make()
    resp = f.get(url, etag='"v1"', last_modified=lm)
    assert resp.not_modified and resp.status == 304 and resp.body == b""
    assert (resp.etag, resp.last_modified) == ('"v2"', lm)
    assert srv.headers["/feed"]["If-None-Match"] == '"v1"'
    assert srv.headers["/feed"]["If-Modified-Since"] == lm
    assert [r.conditional for r in f.requests] == [False, True]  # robots.txt, then the feed
    bare = f.get(srv.route("/bare", (304, {}, b"")), etag='"v1"')
    assert bare.not_modified and bare.etag == '"v1"' and bare.last_modified is None


def test_etag_and_last_modified_of_a_200(srv, make):
    url = srv.route("/feed", (200, {"ETag": '"abc"', "Last-Modified": "Tue, 01 Jan 2030 00:00:00 GMT",
                                    "Content-Type": "application/rss+xml"}, b"<rss/>"))
    f, _ = make()
    resp = f.get(url, accept=FEED_TYPES)
    assert (resp.etag, resp.last_modified, resp.not_modified) == ('"abc"', "Tue, 01 Jan 2030 00:00:00 GMT", False)
    assert "If-None-Match" not in srv.headers["/feed"]


# --------------------------------------------------------------------------- SSRF guard


def test_loopback_refused_by_default_before_any_request(srv, make):
    url = srv.route("/page", (200, HTML, b"<p>ok</p>"))
    f, _ = make(allow_hosts=())
    err = fails(f.get, url)
    assert isinstance(err, BadDocument) and err.reason == "blocked-address"
    assert err.detail == (f"refused {url}: 127.0.0.1 resolves to 127.0.0.1, a loopback address; "
                          "add it to NEWSFLOW_ALLOW_HOSTS to allow it")
    assert srv.log == [] and f.requests == []


@pytest.mark.parametrize("allow", [("127.0.0.1",), ("127.0.0.0/8",), ("LocalHost",)])
def test_allow_hosts_lets_local_addresses_through(srv, make, allow):
    url = srv.route("/page", (200, HTML, b"<p>ok</p>")).replace("127.0.0.1", "localhost")
    resolver = lambda host, port, *a: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]  # noqa: E731
    f, _ = make(allow_hosts=allow, resolver=resolver)
    assert f.get(url).status == 200


@pytest.mark.parametrize("ip,kind", [("10.0.0.5", "private"), ("169.254.169.254", "link-local"),
                                     ("::ffff:127.0.0.1", "loopback"), ("0.0.0.0", "unspecified")])
def test_hostnames_resolving_to_internal_addresses_are_refused(make, ip, kind):
    calls = []

    def resolver(host, port, *a):
        calls.append((host, port))
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
                (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]

    f, _ = make(allow_hosts=(), resolver=resolver)
    err = fails(f.get, "https://intranet.example/x")
    assert isinstance(err, BadDocument) and err.reason == "blocked-address"
    assert f"resolves to {ip}, a" in err.detail and kind in err.detail
    assert calls[0] == ("intranet.example", 443) and f.requests == []


def test_allowed_hostname_skips_the_guard(make):
    seen = []

    def app(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return httpx.Response(200, headers={"Content-Type": "text/plain"}, content=b"inside")

    resolver = lambda host, port, *a: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port))]  # noqa: E731
    f, _ = make(allow_hosts=("Intranet.Example",), resolver=resolver, transport=httpx.MockTransport(app))
    assert f.get("http://intranet.example/doc").body == b"inside"
    assert seen == ["/robots.txt", "/doc"]


def test_dns_failure_is_transient(make):
    def resolver(host, port, *a):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    f, sleeps = make(resolver=resolver, retries=2)
    err = fails(f.get, "http://nowhere.invalid/")  # robots.txt is asked first: the same DNS error
    assert isinstance(err, TransientSourceError) and err.reason == "dns-error" and "robots.txt" in str(err)
    f, sleeps = make(resolver=resolver, retries=2, respect_robots=False)
    err = fails(f.get, "http://nowhere.invalid/")
    assert isinstance(err, TransientSourceError) and err.reason == "dns-error" and len(sleeps) == 2


@pytest.mark.parametrize("url", ["ftp://example.org/x", "http://", "not a url", "file:///etc/passwd"])
def test_bad_urls(make, url):
    f, _ = make()
    err = fails(f.get, url)
    assert isinstance(err, BadDocument) and err.reason == "bad-url"


# --------------------------------------------------------------------------- concurrency


class InFlight:
    """A handler that counts concurrent requests (per port and overall) and answers after 0.2 s."""

    def __init__(self):
        self.lock = threading.Lock()
        self.now: dict[int, int] = {}
        self.peak: dict[int, int] = {}
        self.total = self.peak_total = 0

    def __call__(self, h):
        port = h.server.server_address[1]
        with self.lock:
            self.now[port] = self.now.get(port, 0) + 1
            self.peak[port] = max(self.peak.get(port, 0), self.now[port])
            self.total += 1
            self.peak_total = max(self.peak_total, self.total)
        time.sleep(0.2)
        with self.lock:
            self.now[port] -= 1
            self.total -= 1
        answer(h, 200, [("Content-Type", "text/plain"), ("Content-Length", "2")], b"ok")


def test_per_host_limit(srv, make):
    counter = InFlight()
    urls = [srv.route_fn(f"/slow{i}", counter) for i in range(8)]
    f, _ = make(per_host=2)
    results = list(f.get_many(urls))
    assert sorted(u for u, _ in results) == sorted(urls) and all(r.body == b"ok" for _, r in results)
    assert counter.peak == {srv.port: 2}


def test_two_hosts_run_in_parallel_within_the_global_limit(make):
    counter = InFlight()
    with LocalServer() as a, LocalServer() as b:
        urls = [s.route_fn(f"/slow{i}", counter) for i in range(4) for s in (a, b)]
        f, _ = make(per_host=2)
        assert all(isinstance(r, Response) for _, r in f.get_many(urls))
        assert counter.peak == {a.port: 2, b.port: 2} and counter.peak_total == 4
        counter.peak_total = 0
        f, _ = make(per_host=2, concurrency=3)
        assert all(isinstance(r, Response) for _, r in f.get_many(urls))
        assert counter.peak_total == 3


def test_one_hosts_long_queue_does_not_hold_up_another_host(make):
    counter = InFlight()
    with LocalServer() as a, LocalServer() as b:
        # all of a's URLs first: queued in input order, b would wait for a's 12 slow pages
        urls = [a.route_fn(f"/slow{i}", counter) for i in range(12)] + [b.route_fn("/slow", counter)]
        f, _ = make(per_host=2, concurrency=4)
        done = [u for u, _ in f.get_many(urls)]
    assert done.index(urls[-1]) < 4  # b's page is among the first few to finish


def test_interleave_by_host_keeps_each_hosts_order():
    urls = ["http://a/1", "http://a/2", "http://a/3", "http://b/1", "http://B/2", "http://c/1"]
    assert interleave_by_host(urls) == ["http://a/1", "http://b/1", "http://c/1", "http://a/2", "http://B/2",
                                        "http://a/3"]


def test_get_many_yields_errors_as_values(srv, make):
    urls = [srv.route("/ok1", (200, HTML, b"<p>1</p>")), srv.route("/gone", (410, {}, b"")),
            srv.route("/ok2", (200, HTML, b"<p>2</p>")), srv.route("/down", (502, {}, b"")), "ftp://x/"]
    f, _ = make(retries=1)
    results = dict(f.get_many(urls))
    assert len(results) == len(urls)
    kinds = [results[u].body if isinstance(results[u], Response) else (type(results[u]).__name__, results[u].reason)
             for u in urls]
    assert kinds == [b"<p>1</p>", ("BadDocument", "http-410"), b"<p>2</p>",
                     ("TransientSourceError", "http-502"), ("BadDocument", "bad-url")]
    assert len(f.requests) == sum(srv.hits.values())


# --------------------------------------------------------------------------- pure helpers, policy


def test_parse_retry_after():
    now = 1_700_000_000.0
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(" 0 ", now) == 0.0
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now) == pytest.approx(30, abs=1)
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("-5", now) is None
    assert parse_retry_after("Tue, 14 Nov 2023 22:14:00 -0000", now) == pytest.approx(1_700_000_040 - now)


def test_backoff_delay():
    rng = random.Random(7)
    for n in range(5):
        d = backoff_delay(n, 1.0, rng)
        assert 0.5 * 2**n <= d <= 1.5 * 2**n
    assert backoff_delay(0, 0.0, rng) == 0.0


def test_is_blocked_address():
    assert is_blocked_address("127.0.0.1") == "loopback"
    assert is_blocked_address("::1") == "loopback"
    assert is_blocked_address("::ffff:10.1.2.3") == "private"
    assert is_blocked_address("192.168.1.1") == "private"
    assert is_blocked_address("fe80::1%eth0") == "link-local"
    assert is_blocked_address("224.0.0.1") == "multicast"
    assert is_blocked_address("240.0.0.1") == "reserved"
    assert is_blocked_address("100.64.0.1") == "non-public"  # carrier-grade NAT
    assert is_blocked_address("93.184.215.14") is None
    assert is_blocked_address("2606:4700::1111") is None
    assert is_blocked_address("10.1.2.3", ["10.0.0.0/8"]) is None
    assert is_blocked_address("10.1.2.3", ["intranet.example", "10.1.2.3"]) is None
    assert is_blocked_address("10.1.2.3", ["192.168.0.0/16"]) == "private"


def test_policy_from_settings():
    s = Settings.from_env({}, allow_hosts=" 127.0.0.0/8, Intranet.Example ,::1,,", connect_timeout=3.0,
                          fetch_deadline=60.0, per_host_limit=4, retry_delay_seconds=0.5, respect_robots=False)
    p = FetchPolicy.from_settings(s)
    assert p.allow_hosts == ("127.0.0.0/8", "intranet.example", "::1")
    assert (p.user_agent, p.connect_timeout, p.deadline, p.per_host, p.retry_delay, p.respect_robots) == (
        s.user_agent, 3.0, 60.0, 4, 0.5, False)
    for bad in ("10.0.0.0/33", "10.0.0.300", "fe80::zz"):
        with pytest.raises(ConfigError, match="NEWSFLOW_ALLOW_HOSTS"):
            FetchPolicy.from_settings(Settings.from_env({}, allow_hosts=bad))


def test_free_heap_is_handed_back_every_so_many_responses(srv, make, monkeypatch):
    import tasks.fetch as fetch

    calls = []
    monkeypatch.setattr(fetch, "TRIM_EVERY", 2)
    monkeypatch.setattr(fetch, "release_memory", lambda: calls.append(1))
    f, _ = make()
    for i in range(5):
        f.get(srv.route(f"/p{i}", (200, HTML, b"<p>x</p>")))
    assert len(calls) == 2
