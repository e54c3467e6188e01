"""Feeds: parse_feed over real feeds (tests/data/feeds, see its README) and edge cases, OPML, discovery."""

import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tasks.errors import BadDocument
from tasks.feeds import DiscoveredFeed, FeedEntry, OpmlFeed, discover_feeds, parse_feed, parse_opml
from tests.conftest import DATA

FEEDS = DATA / "feeds"
ALL_FEEDS = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "feeds"
NOW = "2026-11-23T02:00:00+00:00"


def parse(name: str, **kw):
    return parse_feed((FEEDS / name).read_bytes(), fetched_at=NOW, **kw)


def rss(items: str, channel: str = "<title>T</title><link>http://example.com/</link>") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel>{channel}{items}</channel></rss>"
    ).encode("utf-8")


def atom(entries: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f'<title>A</title><link rel="alternate" href="http://example.org/"/>{entries}</feed>'
    ).encode("utf-8")


def reason(body: bytes, **kw) -> BadDocument:
    with pytest.raises(BadDocument) as info:
        parse_feed(body, fetched_at=NOW, **kw)
    return info.value


# ---------------------------------------------------------------- real feeds


def test_rss20_content_encoded_is_taken_only_when_it_is_more_than_the_summary():
    feed = parse("manton.rss")
    assert (feed.title, feed.link, feed.version, feed.warning) == ("Manton Reece", "http://www.manton.org", "rss20", None)
    assert len(feed.entries) == 10
    first = feed.entries[0]
    assert first == FeedEntry(
        guid="http://www.manton.org/?p=3071", link="http://www.manton.org/2015/09/3071.html", title=None,
        published="2015-09-25T14:26:40+00:00", updated=None, date_is_fetch_time=False, authors=("manton",),
        content=None,  # its content:encoded is the description again, wrapped in <p> and a link
        summary=first.summary,
    )
    assert first.summary.startswith("This week&#8217;s Core Intuition is out")
    instagram = feed.entries[3]
    assert instagram.title == "Instagram hits 400 million users"
    assert instagram.summary.endswith("[&#8230;]")  # a teaser: the article is in content:encoded
    assert instagram.content.startswith('<p><a href="https://www.macstories.net/news/instagram-hits-400-million-users/">')
    assert [e.content is not None for e in feed.entries] == [False] * 3 + [True] * 6 + [False]


def test_atom10_relative_links_resolve_against_the_feed_link_and_dates_go_to_utc():
    feed = parse("tpm.atom")  # read from a file: no base URL but the feed's own <link>
    assert (feed.title, feed.link, feed.version) == ("All TPM News", "http://talkingpointsmemo.com", "atom10")
    assert len(feed.entries) == 20
    e = feed.entries[0]
    assert e.link == "http://talkingpointsmemo.com/livewire/hannity-announces-fox-hired-sebastian-gorka-national-security-strategist"
    assert e.guid == e.key == "tag:talkingpointsmemo.com,2005:ArticleDecorator/270060"
    assert e.title == "Hannity Announces Fox Has Hired Sebastian Gorka As NatSec Strategist"
    assert e.published == e.updated == "2017-11-08T23:15:58+00:00"  # 18:15:58-05:00
    assert e.authors == ("Esme Cribb",)
    assert e.summary is None and e.content.startswith("<p>Fox News star host Sean Hannity")
    assert all(x.link.startswith("http://talkingpointsmemo.com/") for x in feed.entries)
    assert all(x.content for x in feed.entries)


def test_xml_base_applies_to_its_item_only_and_the_rest_resolve_against_the_feed_link():
    feed = parse("rss-with-item-scoped-html-base.xml")
    first, second = feed.entries
    assert first.link == "https://example.com/first/first"  # <item xml:base="https://example.com/first/">
    assert first.summary == '<p><a href="https://example.com/first/post">First</a></p>'
    assert second.link == "https://example.com/second"
    assert second.summary == '<p><a href="https://example.com/post">Second</a></p>'


def test_base_url_resolves_relative_links_in_an_atom03_feed():
    assert parse("http_entry_link_base_content_location.xml").entries[0].link == "/relative/link"
    feed = parse("http_entry_link_base_content_location.xml", base_url="http://example.com/")
    assert feed.version == "atom03"
    assert feed.entries[0].link == "http://example.com/relative/link"


def test_atom03_entry_with_only_modified_is_published_at_that_date():
    (e,) = parse("atom03_feed_entry_modified.xml").entries
    assert (e.published, e.updated, e.date_is_fetch_time) == ("2014-07-06T12:56:00+00:00", "2014-07-06T12:56:00+00:00", False)


def test_rdf_rss10_feed():
    feed = parse("rss1.0withModules.xml")
    assert (feed.version, feed.title) == ("rss10", "RSS Tests - RSS 1.0")
    (e,) = feed.entries
    assert e.title == "Test Item - RSS 1.0"
    assert e.link == e.guid == "http://www.pocketsoap.com/weblog/rssTests/rss1.0withModules.xml#1"
    assert e.published == e.updated == "2002-09-28T20:01:19+00:00"  # dcterms:created / dcterms:modified
    assert e.summary.startswith("This is a fairly standard RSS 1.0 feed")


def test_rss091_entry_without_a_date_gets_the_fetch_time():
    feed = parse("feed_item_image_-_rss_channel_item_description.xml")
    assert feed.version == "rss091u"
    (e,) = feed.entries
    assert (e.published, e.updated, e.date_is_fetch_time) == (NOW, None, True)
    assert e.summary == '<img src="http://example.com/description.png" />'
    assert e.key is None
    assert e.to_json() == {
        "title": None, "link": None, "published": NOW, "updated": None, "guid": None, "author": None,
        "full_content": False, "date_is_fetch_time": True,
    }


def test_netscape_rss091_doctype_is_kept_and_an_empty_feed_is_not_an_error():
    feed = parse("rss_version_091_netscape.xml")
    assert (feed.version, feed.entries, feed.warning) == ("rss091n", (), None)


def test_malformed_feed_with_entries_is_returned_with_a_warning():
    feed = parse("saxerror.xml")  # an unescaped & in a <link>
    assert "not well-formed" in feed.warning and "\n" not in feed.warning
    assert [e.title for e in feed.entries] == ["Good Item", "Bad Item", "Item After Error"]
    assert feed.entries[1].link == "http://example.com/bad?foo=1&bar=2"


def test_undefined_entity_in_rss_still_reads_entries_with_a_warning():
    feed = parse_feed(rss("<item><title>A&nbsp;B</title><link>/a</link></item>"), fetched_at=NOW)
    assert "undefined entity" in feed.warning
    assert [(e.title, e.link) for e in feed.entries] == [("A\xa0B", "http://example.com/a")]


def test_utf8_without_declaration_and_a_base_url_is_read_as_utf8():
    # feedparser alone, given only a Content-Location, assumes ISO-8859-1 and flags "no Content-type"
    body = '<rss version="2.0"><channel><title>Café</title><item><title>Ünïcode</title></item></channel></rss>'
    feed = parse_feed(body.encode("utf-8"), fetched_at=NOW, base_url="http://example.com/feed")
    assert (feed.title, feed.entries[0].title, feed.warning) == ("Café", "Ünïcode", None)


def test_a_body_that_looks_like_a_path_is_not_opened(tmp_path):
    path = tmp_path / "feed.xml"  # feedparser.parse(bytes) would open this file and read it
    path.write_bytes(rss("<item><guid>secret</guid></item>"))
    assert reason(str(path).encode()).reason == "malformed-feed"  # plain text, not the file's feed


# ---------------------------------------------------------------- dates and content


def test_dates_in_other_time_zones_come_out_in_utc():
    items = "".join(
        f"<item><guid>{i}</guid><pubDate>{d}</pubDate></item>"
        for i, d in enumerate(["Thu, 24 Nov 2011 12:15:00 +0200", "Thu, 24 Nov 2011 05:15:00 EST",
                               "Thu, 24 Nov 2011 02:15:00 PST", "Thu, 24 Nov 2011 10:15:00 GMT"])
    )
    assert {e.published for e in parse_feed(rss(items), fetched_at=NOW).entries} == {"2011-11-24T10:15:00+00:00"}
    feed = parse_feed(atom(
        "<entry><id>a</id><published>2011-11-24T04:15:00-06:00</published><updated>2011-11-25T01:00:00+05:30</updated></entry>"
        "<entry><id>b</id><updated>2011-11-24T10:15:00Z</updated></entry>"
        "<entry><id>c</id></entry>"
    ), fetched_at=NOW)
    a, b, c = feed.entries
    assert (a.published, a.updated, a.date_is_fetch_time) == ("2011-11-24T10:15:00+00:00", "2011-11-24T19:30:00+00:00", False)
    assert (b.published, b.updated, b.date_is_fetch_time) == ("2011-11-24T10:15:00+00:00", "2011-11-24T10:15:00+00:00", False)
    assert (c.published, c.updated, c.date_is_fetch_time) == (NOW, None, True)
    (d,) = parse_feed(
        b'<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry><id>d</id>'
        b"<created>2011-11-24T11:15:00+01:00</created><modified>2011-11-26T00:00:00Z</modified></entry></feed>",
        fetched_at=NOW,
    ).entries
    assert (d.published, d.updated) == ("2011-11-24T10:15:00+00:00", "2011-11-26T00:00:00+00:00")


LONG = "<p>The whole article, with <b>far</b> more text than the teaser has.</p>"


@pytest.mark.parametrize("item, content, summary", [
    (f"<description>Teaser</description><content:encoded><![CDATA[{LONG}]]></content:encoded>", LONG, "Teaser"),
    (f"<content:encoded><![CDATA[{LONG}]]></content:encoded><description>Teaser</description>", LONG, "Teaser"),
    ("<description>Same text</description><content:encoded><![CDATA[<p>Same  text</p>]]></content:encoded>", None, "Same text"),
    ("<description>Same text, and more</description><content:encoded>Same text</content:encoded>", None, "Same text, and more"),
    ("<description>Teaser</description><content:encoded><![CDATA[<p> <br/> </p>]]></content:encoded>", None, "Teaser"),
    ("<description><![CDATA[<p>Only a summary</p>]]></description>", None, "<p>Only a summary</p>"),
    (f"<content:encoded><![CDATA[{LONG}]]></content:encoded>", LONG, None),
])
def test_full_content_is_taken_only_when_it_is_the_article(item, content, summary):
    (e,) = parse_feed(rss(f"<item><title>x</title>{item}</item>"), fetched_at=NOW).entries
    assert (e.content, e.summary) == (content, summary)
    assert e.to_json()["full_content"] is (content is not None)


def test_atom_content_and_summary():
    feed = parse_feed(atom(
        f'<entry><id>1</id><summary>Teaser</summary><content type="html">{LONG.replace("<", "&lt;")}</content></entry>'
        '<entry><id>2</id><summary>Same</summary><content type="text">Same</content></entry>'
        f'<entry><id>3</id><content type="html">{LONG.replace("<", "&lt;")}</content></entry>'
    ), fetched_at=NOW)
    assert [(e.content, e.summary) for e in feed.entries] == [(LONG, "Teaser"), (None, "Same"), (LONG, None)]


def test_key_author_and_to_json():
    (e,) = parse_feed(rss(
        "<item><title>t</title><link>http://example.com/p</link><author>ann@example.com (Ann)</author>"
        '<dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">Bob</dc:creator></item>'
    ), fetched_at=NOW).entries
    assert e.key == "http://example.com/p" and e.guid is None
    assert e.to_json() == {
        "title": "t", "link": "http://example.com/p", "published": NOW, "updated": None, "guid": None,
        "author": "Ann, Bob", "full_content": False, "date_is_fetch_time": True,
    }
    assert e.authors == ("Ann", "Bob")
    (e,) = parse_feed(rss("<item><guid>g</guid><author>ann@example.com</author></item>"), fetched_at=NOW).entries
    assert (e.key, e.authors) == ("g", ("ann@example.com",))


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("body", [b"", b"  \n\t "])
def test_empty(body):
    assert reason(body).reason == "empty"


def test_html_page_is_named_with_the_feeds_it_links_to():
    page = (FEEDS / "DaringFireball-head.html").read_bytes()
    err = reason(page, base_url="https://daringfireball.net/")
    assert err.reason == "html-not-feed"
    assert err.detail == "this is an HTML page, not a feed; it links to feeds: https://daringfireball.net/feeds/main"
    plain = reason(b"<!doctype html><html><head><title>x</title></head><body>hi</body></html>")
    assert (plain.reason, plain.detail) == ("html-not-feed", "this is an HTML page, not a feed")
    served = reason(b"<div><p>a fragment</p></div>", content_type="text/html; charset=utf-8")
    assert served.reason == "html-not-feed"


@pytest.mark.parametrize("content_type", ["text/html", "text/xml", "application/rss+xml; charset=utf-8"])
def test_a_feed_is_read_whatever_content_type_it_is_served_with(content_type):
    feed = parse_feed(rss("<item><guid>1</guid><title>Ünïcode</title></item>"), fetched_at=NOW, content_type=content_type)
    assert [(e.guid, e.title) for e in feed.entries] == [("1", "Ünïcode")]
    assert feed.warning is None  # notes on the HTTP content type are not XML problems


def test_a_wrong_declared_encoding_is_a_warning():
    body = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><item><title>Café</title></item></channel></rss>'
    feed = parse_feed(body.encode("iso-8859-1"), fetched_at=NOW)
    assert feed.entries[0].title == "Café"
    assert feed.warning == "document declared as utf-8, but parsed as windows-1252"


def test_http_charset_is_used_to_decode():
    body = '<?xml version="1.0"?><rss version="2.0"><channel><item><title>Café</title></item></channel></rss>'
    feed = parse_feed(body.encode("iso-8859-1"), fetched_at=NOW, content_type="application/rss+xml; charset=iso-8859-1")
    assert feed.entries[0].title == "Café"


def test_malformed_and_not_a_feed():
    err = reason(b'<?xml version="1.0"?><rss version="2.0"><channel><title>cut off</tit')
    assert err.reason == "malformed-feed" and err.detail.startswith("not a readable feed: ")
    assert "\n" not in err.detail
    assert reason(b'<?xml version="1.0"?><note><to>someone</to></note>').reason == "not-a-feed"
    assert reason(b'{"version": "https://jsonfeed.org/version/1", "items": []}').reason == "not-a-feed"
    assert reason(b"\x1f\x8b\x08\x00 binary junk \x00\xff").reason == "malformed-feed"


BILLION_LAUGHS = "\n".join(
    ['<!DOCTYPE rss [', '<!ENTITY lol0 "lol">']
    + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)] + [']>']
)
QUADRATIC = '<!DOCTYPE rss [\n<!ENTITY a "' + "x" * 50_000 + '">\n]>'
EXTERNAL = '<!DOCTYPE rss [\n<!ENTITY x SYSTEM "file:///etc/passwd">\n]>'


@pytest.mark.parametrize("doctype, ref, encoding", [
    (BILLION_LAUGHS, "&lol9;", "utf-8"),
    (QUADRATIC, "&a;" * 50_000, "utf-8"),
    (QUADRATIC, "&a;" * 50_000, "utf-16"),  # converted to UTF-8 before the declarations are dropped
    (EXTERNAL, "&x;", "utf-8"),
], ids=["billion-laughs", "quadratic", "quadratic-utf16", "external"])
def test_entity_declarations_never_expand(doctype, ref, encoding):
    body = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n{doctype}\n<rss version="2.0"><channel><title>T{ref}</title>'
        f"<item><title>I{ref}</title><description>{ref}</description><content:encoded>{ref}</content:encoded>"
        "<link>http://example.com/1</link></item></channel></rss>"
    ).encode(encoding)
    start = time.monotonic()
    try:
        feed = parse_feed(body, fetched_at=NOW)
        texts = [feed.title or ""] + [f"{e.title}{e.summary}{e.content}" for e in feed.entries]
    except BadDocument as e:
        texts = [e.detail]
    assert time.monotonic() - start < 5
    text = "".join(texts)
    assert len(text) < 1_000_000
    assert "lollol" not in text and "x" * 100 not in text and "root:" not in text


# ---------------------------------------------------------------- OPML


def test_opml_with_nested_outlines():
    feeds = parse_opml((FEEDS / "Subs.opml").read_bytes())
    assert len(feeds) == 207  # four folders of outlines, plus top-level ones; folders are not feeds
    assert feeds[0] == OpmlFeed("Daring Fireball", "http://daringfireball.net/feeds/main", "http://daringfireball.net/")
    assert OpmlFeed("Julia Evans", "http://jvns.ca/atom.xml", None) in feeds  # htmlUrl=""
    assert OpmlFeed("iOS Unit Testing", "http://iosunittesting.com/feed/", "http://iosunittesting.com") in feeds
    assert feeds[-1] == OpmlFeed("Gerrold", "http://www.gerrold.com/feed/", "http://www.gerrold.com")


def test_opml_title_falls_back_to_text_and_duplicates_are_dropped():
    body = (b'<opml version="2.0"><body><outline text="News"><outline text="A" xmlUrl="http://a/feed"/>'
            b'</outline><outline title="A again" xmlurl="http://a/feed"/><outline xmlUrl="http://b/"/></body></opml>')
    assert parse_opml(body) == [OpmlFeed("A", "http://a/feed", None), OpmlFeed(None, "http://b/", None)]


@pytest.mark.parametrize("body, why", [
    (b"", "empty"),
    (b'<rss version="2.0"><channel/></rss>', "malformed-opml"),
    (b"<opml><body><outline xmlUrl='http://a/'>", "malformed-opml"),
    (b"<!doctype html><html><body>no</body></html>", "malformed-opml"),
    (("<!DOCTYPE opml [" + '<!ENTITY a "' + "x" * 50_000 + '">]><opml><body><outline text="' + "&a;" * 50_000
      + '" xmlUrl="http://a/"/></body></opml>').encode(), "malformed-opml"),
    (b'<!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]><opml><body><outline text="&x;" xmlUrl="http://a/"/></body></opml>',
     "malformed-opml"),
])
def test_opml_errors(body, why):
    with pytest.raises(BadDocument) as info:
        parse_opml(body)
    assert info.value.reason == why


# ---------------------------------------------------------------- discovery


def test_discover_feeds_on_a_real_page():
    page = (FEEDS / "DaringFireball-head.html").read_bytes()
    assert discover_feeds(page, "https://daringfireball.net/") == [
        DiscoveredFeed("https://daringfireball.net/feeds/main", None, "application/atom+xml"),
    ]


def test_discover_feeds_resolves_filters_and_deduplicates():
    page = """<!DOCTYPE html><html><head>
      <base href="/blog/">
      <link rel="alternate" hreflang="de" href="https://example.com/de/">
      <link rel="stylesheet" type="text/css" href="style.css">
      <LINK REL="Alternate" TYPE="application/rss+xml" title="Posts (RSS)" href="feed.xml">
      <link rel="alternate feed" type="application/atom+xml; charset=utf-8" title="Posts (Atom)" href="atom.xml">
      <link rel="alternate" type="application/rss+xml" title="Same again" href="/blog/feed.xml">
      <link rel="feed" type="application/rss+xml" href="not-alternate.xml">
      <link rel="alternate" type="application/rdf+xml" href="https://other.example/rdf">
      <link rel="alternate" type="application/feed+json" href="feed.json">
      <link rel="alternate" type="application/rss+xml" href="">
    </head><body><a rel="alternate" type="application/rss+xml" href="a.xml">not a link tag</a></body></html>"""
    assert discover_feeds(page, "https://example.com/2024/post.html") == [
        DiscoveredFeed("https://example.com/blog/feed.xml", "Posts (RSS)", "application/rss+xml"),
        DiscoveredFeed("https://example.com/blog/atom.xml", "Posts (Atom)", "application/atom+xml"),
        DiscoveredFeed("https://other.example/rdf", None, "application/rdf+xml"),
        DiscoveredFeed("https://example.com/blog/feed.json", None, "application/feed+json"),
    ]
    assert discover_feeds(page.replace('<base href="/blog/">', ""), "https://example.com/2024/post.html")[0].url == (
        "https://example.com/2024/feed.xml"
    )


# ---------------------------------------------------------------- every real feed


def _check_all(path: Path) -> tuple[str, list[str]]:
    """Parse one file twice (as a file, and as if fetched from a URL); return its outcome and any problems."""
    body = path.read_bytes()
    problems: list[str] = []
    outcome = ""
    for base_url in (None, "https://fixtures.example/" + path.name):
        try:
            feed = parse_feed(body, fetched_at=NOW, base_url=base_url)
        except BadDocument as e:
            outcome = outcome or e.reason
            continue
        outcome = outcome or ("feed with warning" if feed.warning else "feed")
        base = base_url or (feed.link if feed.link and urlsplit(feed.link).scheme in ("http", "https") else None)
        for e in feed.entries:
            if datetime.fromisoformat(e.published).utcoffset() != timedelta(0):
                problems.append(f"{path}: published {e.published!r} is not UTC")
            if e.updated and datetime.fromisoformat(e.updated).utcoffset() != timedelta(0):
                problems.append(f"{path}: updated {e.updated!r} is not UTC")
            if base and e.link and not urlsplit(e.link).scheme:
                problems.append(f"{path}: link {e.link!r} is relative although the base is {base}")
    return outcome, problems


@pytest.mark.skipif(not ALL_FEEDS.is_dir(), reason=f"{ALL_FEEDS} is not here (CI has it)")
def test_every_real_feed_parses_or_raises_bad_document(capsys):
    start = time.monotonic()
    counts: Counter = Counter()
    problems: list[str] = []
    for path in sorted(p for p in ALL_FEEDS.rglob("*") if p.is_file()):
        try:
            outcome, found = _check_all(path)
        except Exception as e:  # anything but BadDocument is a bug
            outcome, found = "crash", [f"{path}: {type(e).__name__}: {e}"]
        counts[outcome] += 1
        problems += found
    with capsys.disabled():
        print(f"\nall feeds: {sum(counts.values())} files in {time.monotonic() - start:.1f} s: {dict(counts.most_common())}")
    assert counts["feed"] + counts["feed with warning"] > 2000
    assert not problems, "\n".join(problems[:20])
