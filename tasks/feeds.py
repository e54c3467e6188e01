"""Feeds: RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and RDF bytes to normalized entries; OPML; feed discovery.

Pure functions over bytes (no network, no Prefect). feedparser does the parsing; this module adds
what the pipeline relies on: absolute links, UTC dates, a full-content rule, named errors, and a
guard against XML entity-expansion bombs (feedparser expands a 50 KB entity referenced 50,000
times into a 2.5 GB title, in minutes).
"""

from __future__ import annotations

import calendar
import html as htmllib
import io
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit
from xml.parsers import expat

import feedparser
from feedparser.encodings import convert_to_utf8
from feedparser.exceptions import NonXMLContentType

from tasks.errors import BadDocument

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")

# Every XML entity declaration (internal subset), however it ends. Replaced by a space, so that
# no new "<!ENTITY" can be formed by joining what is left around it.
_ENTITY_DECL = re.compile(rb"<!ENTITY\s[^>]*>?")
_HTML_START = re.compile(rb"\A(?:\s|<\?xml[^>]*>|<!--.*?-->)*<(?:!doctype\s+html|html[\s>])", re.I | re.S)
_JSON_START = re.compile(rb"\A(?:<\?xml[^>]*>)?\s*[{\[]")  # after the declaration convert_to_utf8 adds
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class FeedEntry:
    """One normalized feed entry."""

    guid: str | None
    link: str | None  # absolute http(s) URL when it can be resolved, else as given
    title: str | None
    published: str | None  # ISO 8601 UTC; falls back to updated, then to fetched_at
    updated: str | None  # ISO 8601 UTC of <updated>/<atom:updated>/<dc:modified>, else None
    date_is_fetch_time: bool  # the entry had no date at all: published = fetched_at
    authors: tuple[str, ...]
    content: str | None  # the full article HTML (content:encoded / atom:content), else None
    summary: str | None

    @property
    def key(self) -> str | None:
        """Identity for "seen" checks: guid, else link, else None."""
        return self.guid or self.link or None

    def to_json(self) -> dict:
        return {
            "title": self.title, "link": self.link, "published": self.published, "updated": self.updated,
            "guid": self.guid, "author": ", ".join(self.authors) or None,
            "full_content": self.content is not None, "date_is_fetch_time": self.date_is_fetch_time,
        }


@dataclass(frozen=True)
class Feed:
    title: str | None
    link: str | None  # the site link of the feed
    version: str  # feedparser's version string: "rss20", "atom10", "rss10", ... ("" if unknown)
    entries: tuple[FeedEntry, ...]
    warning: str | None  # one line when feedparser flagged the XML (bozo) but entries were still read


@dataclass(frozen=True)
class OpmlFeed:
    title: str | None
    xml_url: str
    html_url: str | None


@dataclass(frozen=True)
class DiscoveredFeed:
    url: str
    title: str | None
    type: str


# --------------------------------------------------------------------------- feeds


def parse_feed(
    body: bytes, *, fetched_at: str, base_url: str | None = None, content_type: str | None = None
) -> Feed:
    """Parse a feed into normalized entries. Raises BadDocument.

    - Links: feedparser resolves relative URLs against xml:base and `base_url` (passed as the
      Content-Location); links still relative after that are resolved against the feed's own
      <link> (feeds read from files), or `base_url`.
    - Dates are UTC ISO 8601. `published` is the entry's published (or created) date, else its
      updated date, else `fetched_at` with `date_is_fetch_time=True`.
    - Full content: `content` is the content:encoded / atom:content HTML only when it carries the
      article: present, non-empty once tags are stripped, and its text neither equal to nor a
      prefix of the summary's text. A summary alone is never taken for the article (feedparser
      copies content into `summary` when a feed has no summary; that copy is not a summary).
    - Whitespace before the XML declaration (common in real feeds) is dropped, not warned about.
    - Entity declarations in the DOCTYPE are dropped before parsing (after feedparser's own
      encoding detection, so UTF-16/32 documents are covered): entity bombs cannot expand and
      external entities are never resolved; references to them are left unexpanded.
    - Errors (BadDocument reason): "empty"; "html-not-feed" (naming the feeds the page links to);
      "malformed-feed" (not well-formed and no entries); "not-a-feed" (no RSS/Atom/RDF, no entries).
      Not well-formed (or a wrong declared encoding) but with entries: returned, with `warning`
      set. Anything with entries is a feed (an Atom feed inside an XHTML page is read).
    """
    if not body or not body.strip():
        raise BadDocument("empty", "the feed is empty")
    # feedparser's own encoding detection (BOM, HTTP charset, XML declaration), done here so that
    # entity declarations can be dropped from the UTF-8 text.
    if body[:1].isspace() and body.lstrip().startswith(b"<?xml"):
        body = body.lstrip()  # blank lines before the XML declaration: common, and harmless
    notes: dict = {}
    data = convert_to_utf8({"content-type": content_type} if content_type else {}, body, notes)
    if _JSON_START.match(data):
        raise BadDocument("not-a-feed", "this is JSON, not an RSS/Atom/RDF feed (JSON Feed is not supported)")
    data = _ENTITY_DECL.sub(b" ", data)
    parsed = _feedparse(data, base_url)
    if not base_url and b"xml:base" in data and _is_http(parsed.feed.get("link")):
        # Without a base of its own, feedparser carries one item's xml:base over to the next.
        parsed = _feedparse(data, parsed.feed["link"])
    version = parsed.get("version") or ""
    if not parsed.entries:
        served_as_html = (content_type or "").split(";")[0].strip().lower() == "text/html"
        if _HTML_START.match(data) or (served_as_html and not version):
            raise _html_not_feed(data, base_url)
        if parsed.bozo:
            raise BadDocument("malformed-feed", f"not a readable feed: {_first_line(parsed.bozo_exception)}")
        if not version:
            raise BadDocument("not-a-feed", "no RSS, Atom or RDF feed in this document")
    problem = parsed.get("bozo_exception", "not well-formed") if parsed.bozo else _encoding_note(notes, content_type)
    link = _text_or_none(parsed.feed.get("link"))
    base = link if _is_http(link) else base_url
    return Feed(
        title=_text_or_none(parsed.feed.get("title")),
        link=_absolute(link, base_url),
        version=version,
        entries=tuple(_entry(e, base, fetched_at) for e in parsed.entries),
        warning=_first_line(problem) if problem else None,
    )


def _encoding_note(notes: dict, content_type: str | None) -> Exception | None:
    """A wrong declared encoding ("declared as utf-8, but parsed as windows-1252"), not notes on
    the HTTP type: a non-XML type, or text/* without charset taken for us-ascii (RFC 3023)."""
    ctype = (content_type or "").lower()
    note = notes.get("bozo_exception")
    if isinstance(note, NonXMLContentType) or (ctype.startswith("text/") and "charset=" not in ctype):
        return None
    return note


def _feedparse(data: bytes, base_url: str | None):
    headers = {"content-type": "application/xml"}  # data is UTF-8 now, and says so
    if base_url:
        headers["content-location"] = base_url
    return feedparser.parse(io.BytesIO(data), response_headers=headers)  # bytes would be tried as a path


def _entry(e: dict, base: str | None, fetched_at: str) -> FeedEntry:
    published = _utc(e.get("published_parsed") or e.get("created_parsed"))
    updated = _utc(dict.get(e, "updated_parsed"))  # e.get() would fall back to published_parsed
    summary = _text_or_none(e.get("summary")) if "summary_detail" in e else None
    authors: list[str] = []
    for a in e.get("authors") or [{"name": e.get("author")}]:
        name = _text_or_none(a.get("name") or a.get("email"))
        if name and name not in authors:
            authors.append(name)
    return FeedEntry(
        guid=_text_or_none(e.get("id")),
        link=_absolute(_text_or_none(e.get("link")), base),
        title=_text_or_none(e.get("title")),
        published=published or updated or fetched_at,
        updated=updated,
        date_is_fetch_time=published is None and updated is None,
        authors=tuple(authors),
        content=_full_content(e.get("content") or [], summary),
        summary=summary,
    )


def _full_content(contents: list, summary: str | None) -> str | None:
    """The longest content value, when it is the article and not the summary again."""
    best = max((c.get("value") or "" for c in contents), key=lambda v: len(_plain(v)), default="")
    text = _plain(best)
    if not text or (summary and _plain(summary).startswith(text)):
        return None
    return best


def _html_not_feed(data: bytes, base_url: str | None) -> BadDocument:
    found = discover_feeds(data, base_url or "")
    detail = "this is an HTML page, not a feed"
    if found:
        detail += "; it links to feeds: " + ", ".join(f.url for f in found)
    return BadDocument("html-not-feed", detail)


def _utc(stamp) -> str | None:
    """feedparser's *_parsed (a UTC struct_time) as ISO 8601 UTC."""
    if not stamp:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(stamp), tz=timezone.utc).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def _plain(html: str) -> str:
    return " ".join(htmllib.unescape(_TAG.sub(" ", html)).split())


def _text_or_none(value) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _is_http(url: str | None) -> bool:
    return bool(url) and urlsplit(url).scheme in ("http", "https") and bool(urlsplit(url).netloc)


def _absolute(url: str | None, base: str | None) -> str | None:
    if url and base and _is_http(base) and not urlsplit(url).scheme:
        return urljoin(base, url)
    return url


def _first_line(e: object, limit: int = 200) -> str:
    lines = str(e).strip().splitlines()
    line = lines[0] if lines else type(e).__name__
    return line if len(line) <= limit else line[: limit - 3] + "..."


# --------------------------------------------------------------------------- OPML


def parse_opml(body: bytes) -> list[OpmlFeed]:
    """The feeds of an OPML subscription list (nested outlines too), first copy of each xmlUrl.

    Raises BadDocument("empty") or BadDocument("malformed-opml"). DTD entity declarations are
    refused, so entity bombs and external entities are never expanded.
    """
    if not body or not body.strip():
        raise BadDocument("empty", "the OPML file is empty")
    feeds: dict[str, OpmlFeed] = {}
    root: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if not root:
            root.append(tag)
        a = {k.lower(): v.strip() for k, v in attrs.items()}
        if tag == "outline" and a.get("xmlurl") and a["xmlurl"] not in feeds:
            title = a.get("title") or a.get("text") or None
            feeds[a["xmlurl"]] = OpmlFeed(title, a["xmlurl"], a.get("htmlurl") or None)

    def no_entities(*_args) -> None:
        raise BadDocument("malformed-opml", "the OPML file declares XML entities, which are not allowed")

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EntityDeclHandler = no_entities
    try:
        parser.Parse(body, True)
    except expat.ExpatError as e:
        raise BadDocument("malformed-opml", f"not a readable OPML file: {_first_line(e)}") from None
    if root != ["opml"]:
        raise BadDocument("malformed-opml", f"the root element is <{root[0] if root else ''}>, not <opml>")
    return list(feeds.values())


# --------------------------------------------------------------------------- discovery


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: (v or "").strip() for k, v in attrs}
        if tag == "base" and self.base is None and a.get("href"):
            self.base = a["href"]
        elif tag == "link":
            self.links.append(a)


def discover_feeds(html: bytes | str, base_url: str) -> list[DiscoveredFeed]:
    """Feeds an HTML page links to, in page order, first copy of each URL.

    A feed link is <link rel="alternate" type="application/{rss,atom,rdf}+xml" or
    "application/feed+json">; rel may hold several tokens, case-insensitive. hrefs are resolved
    against <base href> (itself resolved against `base_url`) and `base_url`.
    """
    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    collector = _LinkCollector()
    collector.feed(text)
    collector.close()
    base = urljoin(base_url, collector.base) if collector.base else base_url
    found: dict[str, DiscoveredFeed] = {}
    for a in collector.links:
        kind = a.get("type", "").split(";")[0].strip().lower()
        if "alternate" in a.get("rel", "").lower().split() and kind in FEED_TYPES and a.get("href"):
            url = urljoin(base, a["href"])
            found.setdefault(url, DiscoveredFeed(url, a.get("title") or None, kind))
    return list(found.values())
