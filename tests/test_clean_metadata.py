"""tasks.clean metadata: title, authors, dates, canonical URL, site, language, section, tags, lead image.

Each field says where it came from in ``Cleaned.field_sources`` (the vocabulary is in the comment
above ``_metadata`` in tasks/clean.py). Small pages are written here; the real pages are the ones in
tests/data/clean/ (provenance in its README.md).
"""

import json

import pytest

from tasks.clean import clean_document, clean_html, decode_body
from tasks.records import Article
from tasks.sources import raw_document
from tests.conftest import DATA, SEEDS

CLEAN = DATA / "clean"
NOW = "2026-11-23T02:00:00+00:00"
URL = "https://news.example.com/world/2024/01/05/floods-hit-valley"

BODY = (
    "<p>The river burst its banks early on Sunday, flooding hundreds of homes in the valley, officials said.</p>"
    "<p>Emergency crews worked through the night to move residents to higher ground, and schools were closed.</p>"
    "<p>Forecasters said more rain was expected on Monday, with warnings in place for much of the region.</p>"
)


def html(head: str = "", body: str = "", lang: str = "en") -> str:
    return f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">{head}</head><body>{body}</body></html>'


def article(inner: str = "") -> str:
    return f"<article>{inner}{BODY}</article>"


def ld(obj: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


def sources(c) -> dict[str, str]:
    return dict(c.field_sources)


# --- title --------------------------------------------------------------------------------------


def test_og_title_beats_a_title_tag_with_a_site_suffix():
    c = clean_html(html('<title>Floods hit valley | Example News</title>'
                        '<meta property="og:title" content="Floods hit valley">', article()), URL)
    assert (c.title, sources(c)["title"]) == ("Floods hit valley", "og")


def test_site_name_suffixes_and_prefixes_are_stripped():
    head = ('<meta property="og:site_name" content="Example News">'
            '<meta property="og:title" content="Floods hit valley - Example News">')
    assert clean_html(html(head, article()), URL).title == "Floods hit valley"
    head = '<meta property="og:site_name" content="Example News"><title>Example News: Floods hit valley</title>'
    c = clean_html(html(head, article()), URL)
    assert (c.title, sources(c)["title"]) == ("Floods hit valley", "title")
    # No site name anywhere: the domain names it ("news.example.com" -> "Example").
    c = clean_html(html("<title>Floods hit valley — Example</title>", article()), URL)
    assert c.title == "Floods hit valley"
    # A short " | Section" tail goes too; a dash inside the headline stays.
    assert clean_html(html("<title>Floods hit the valley | World</title>", article())).title == "Floods hit the valley"
    assert clean_html(html("<title>Self-driving cars hit the road</title>", article())).title == \
        "Self-driving cars hit the road"


def test_the_headline_that_two_places_agree_on_wins():
    # og:title is a social-media rewrite; the JSON-LD headline and the page's <h1> agree.
    head = ('<meta property="og:title" content="You will not believe what the river did">'
            + ld({"@type": "NewsArticle", "headline": "Floods hit valley after river bursts banks"}))
    c = clean_html(html(head, article("<h1>Floods hit valley after river bursts banks</h1>")), URL)
    assert (c.title, sources(c)["title"]) == ("Floods hit valley after river bursts banks", "json-ld")


def test_json_ld_headline_when_there_is_no_og_title():
    head = "<title>Home | Example</title>" + ld({"@type": "NewsArticle", "headline": "Floods hit valley"})
    c = clean_html(html(head, article()), URL)
    assert (c.title, sources(c)["title"]) == ("Floods hit valley", "json-ld")


def test_h1_that_the_title_tag_confirms_and_a_logo_h1_that_it_does_not():
    c = clean_html(html("<title>Floods hit valley as river bursts | Example News</title>",
                        '<header><h1 class="logo">Example News</h1></header>'
                        + article("<h1>Floods hit valley as river bursts</h1>")), URL)
    assert (c.title, sources(c)["title"]) == ("Floods hit valley as river bursts", "h1")
    c = clean_html(html("<title>Floods hit valley as river bursts | Example News</title>",
                        '<div class="masthead"><h1>Example News</h1></div>' + article()), URL)
    assert (c.title, sources(c)["title"]) == ("Floods hit valley as river bursts", "title")


def test_the_visible_headline_beats_a_meta_title_variant_that_nothing_repeats():
    # og:title is the shorter social variant of the one <h1> readers see; no meta title repeats the <h1>.
    head = '<meta property="og:title" content="Floods hit valley, homes evacuated">'
    body = article("<h1>Floods hit the valley as hundreds of homes are evacuated</h1>")
    c = clean_html(html(head, body), URL)
    assert (c.title, sources(c)["title"]) == ("Floods hit the valley as hundreds of homes are evacuated", "h1")
    # An <h1> that shares little with any meta title (a section label) does not win.
    body = article("<h1>Weather and climate news section</h1>")
    assert clean_html(html(head, body), URL).title == "Floods hit valley, homes evacuated"


def test_an_h1_that_is_the_meta_title_plus_a_byline_gives_the_meta_title():
    head = '<meta property="og:title" content="Floods hit valley as river bursts">'
    body = article("<h1>Floods hit valley as river bursts <span>Ann Lee, Weather desk</span></h1>")
    c = clean_html(html(head, body), URL)
    assert (c.title, sources(c)["title"]) == ("Floods hit valley as river bursts", "og")


def test_json_ld_name_that_the_h1_confirms_beats_a_description_headline():
    # Wikipedia's JSON-LD: "name" is the page's title, "headline" a short description.
    head = ld({"@type": "Article", "name": "New Zealand", "headline": "constitutional monarchy in Oceania"})
    c = clean_html(html(head, article("<h1>New Zealand</h1>")), URL)
    assert (c.title, sources(c)["title"]) == ("New Zealand", "json-ld")


def test_dublin_core_title_property_and_dangling_separators():
    head = '<title>Title Element</title><meta property="x:title dc:title" content="My title">'
    c = clean_html(html(head, article()), URL)
    assert (c.title, sources(c)["title"]) == ("My title", "meta")
    head = '<meta property="og:title" content="Floods hit the valley -- Example">'
    assert clean_html(html(head, article()), URL).title == "Floods hit the valley"
    assert clean_html(html("<title>Floods hit the valley -</title>", article()), URL).title == "Floods hit the valley"
    # Spaces around full-width punctuation in CJK titles are dropped.
    head = "<title>Intel NUCで最新SSDを比較してみた ： さらば水冷 （1/2 ページ）</title>"
    assert clean_html(html(head, article(), lang="ja")).title == "Intel NUCで最新SSDを比較してみた：さらば水冷（1/2 ページ）"


def test_cjk_title_suffixes():
    head = "<title>短缺药品保供稳价 全力保障临床用药需求-新华网</title>"
    assert clean_html(html(head, article(), lang="zh")).title == "短缺药品保供稳价 全力保障临床用药需求"
    head = "<title>宇航员在太空中喝酒会怎么样？后果很严重 _探索者 _光明网</title>"
    assert clean_html(html(head, article(), lang="zh")).title == "宇航员在太空中喝酒会怎么样？后果很严重"


# --- authors -------------------------------------------------------------------------------------


def test_json_ld_authors_objects_and_lists():
    head = ld({"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Floods",
               "author": [{"@type": "Person", "name": "Ann Lee"}, {"@type": "Person", "name": "Bo Chen"},
                          {"@type": "Person", "name": "ann lee"}],
               "publisher": {"@type": "Organization", "name": "Example News"}})
    c = clean_html(html(head, article()), URL)
    assert (c.authors, sources(c)["authors"]) == (("Ann Lee", "Bo Chen"), "json-ld")
    # A @graph, a single object, a plain string.
    head = ld({"@graph": [{"@type": "WebSite", "name": "Example"},
                          {"@type": "NewsArticle", "author": {"@type": "Person", "name": "Ann Lee"}}]})
    assert clean_html(html(head, article()), URL).authors == ("Ann Lee",)
    head = ld({"@type": "BlogPosting", "author": "By Ann Lee and Bo Chen"})
    assert clean_html(html(head, article()), URL).authors == ("Ann Lee", "Bo Chen")


def test_an_organisation_author_only_when_no_person_is_named():
    org = {"@type": "NewsArticle", "author": {"@type": "Organization", "name": "Example News"}}
    c = clean_html(html(ld(org), article('<p class="byline">By Ann Lee</p>')), URL)
    assert (c.authors, sources(c)["authors"]) == (("Ann Lee",), "byline")
    assert clean_html(html(ld(org), article()), URL).authors == ("Example News",)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("By Ann Lee and Bo Chen", ("Ann Lee", "Bo Chen")),
        ("Ann Lee, Staff Writer", ("Ann Lee",)),
        ("Ann Lee, Political Correspondent, in London", ("Ann Lee",)),
        ("Ann Lee in Kyiv and Bo Chen in Moscow", ("Ann Lee", "Bo Chen")),
        ("Ann Lee (ann.lee@example.com) | @annlee", ("Ann Lee",)),
        ("BY ANN LEE, REPORTER", ("ANN LEE",)),
        ("Ann Lee Senior Business Reporter", ("Ann Lee",)),
        ("Ann Lee, Bo Chen & Cy Diaz, CNN", ("Ann Lee", "Bo Chen", "Cy Diaz")),
        ("Lee, Ann", ("Ann Lee",)),
        ("Written by Ann Lee. Edited by Bo Chen", ("Ann Lee",)),
        ("Par Marie Dupont et Jean Martin", ("Marie Dupont", "Jean Martin")),
        ("https://www.facebook.com/examplenews", ()),
    ],
)
def test_meta_author_is_cleaned(value, expected):
    c = clean_html(html(f'<meta name="author" content="{value}">', article()), URL)
    assert c.authors == expected
    if expected:
        assert sources(c)["authors"] == "meta"


def test_a_profile_url_author_meta_is_skipped_for_a_name():
    head = ('<meta property="article:author" content="https://www.facebook.com/ann.lee">'
            '<meta name="author" content="Ann Lee">')
    assert clean_html(html(head, article()), URL).authors == ("Ann Lee",)


def test_rel_author_and_itemprop_author():
    body = article('<div class="meta">By <a rel="author" href="/people/ann-lee">Ann Lee</a> and '
                   '<a rel="author" href="/people/bo-chen">Bo Chen</a></div>')
    c = clean_html(html("", body), URL)
    assert (c.authors, sources(c)["authors"]) == (("Ann Lee", "Bo Chen"), "rel-author")
    body = article('<span itemprop="author" itemscope itemtype="https://schema.org/Person">'
                   '<span itemprop="name">Ann Lee</span></span>')
    assert clean_html(html("", body), URL).authors == ("Ann Lee",)


def test_related_stories_authors_are_not_the_articles():
    body = (article('<p class="byline">By <a href="/author/ann-lee">Ann Lee</a></p>')
            + '<section class="related-stories"><ul>'
              '<li><a href="/x">Storm hits coast</a> <span class="byline">By <a rel="author" href="/author/cy">Cy Diaz</a></span></li>'
              '<li><a href="/y">Dam fears grow</a> <span class="byline">By <a rel="author" href="/author/di">Di Ho</a></span></li>'
              '</ul></section>')
    assert clean_html(html("", body), URL).authors == ("Ann Lee",)


def test_byline_element_with_role_and_date():
    body = article('<div class="article-byline">By Ann Lee, Weather Correspondent | Updated 5 January 2024</div>')
    c = clean_html(html("", body), URL)
    assert (c.authors, sources(c)["authors"]) == (("Ann Lee",), "byline")


def test_by_line_at_the_top_of_the_article_is_an_author_not_text():
    body = "<article><h1>Floods hit valley</h1><p>By Ann Lee and Bo Chen</p>" + BODY + "</article>"
    c = clean_html(html("", body), URL)
    assert (c.authors, sources(c)["authors"]) == (("Ann Lee", "Bo Chen"), "text")
    assert "Ann Lee" not in c.text and c.text.startswith("The river burst its banks")


def test_no_author_is_invented():
    body = article('<div class="author-bio">View my complete profile</div><p class="byline">Posted by admin</p>')
    c = clean_html(html("", body), URL)
    assert c.authors == () and "authors" not in sources(c)


# --- dates -----------------------------------------------------------------------------------------


def test_json_ld_published_and_modified():
    head = ld({"@type": "NewsArticle", "datePublished": "2024-01-05T10:00:00Z", "dateModified": "2024-01-06T08:30:00+01:00"})
    c = clean_html(html(head, article()), URL)
    assert (c.published, c.published_source) == ("2024-01-05T10:00:00+00:00", "json-ld")
    assert c.modified == "2024-01-06T08:30:00+01:00"
    assert sources(c)["published"] == "json-ld" and sources(c)["modified"] == "json-ld"


def test_opengraph_article_times():
    head = ('<meta property="article:published_time" content="2024-01-05T10:00:00-05:00">'
            '<meta property="article:modified_time" content="2024-01-05T12:15:00-05:00">')
    c = clean_html(html(head, article()), URL)
    assert (c.published, c.published_source, c.modified) == ("2024-01-05T10:00:00-05:00", "meta", "2024-01-05T12:15:00-05:00")
    assert sources(c)["modified"] == "meta"


@pytest.mark.parametrize(
    "meta, expected",
    [
        ('<meta name="pubdate" content="20240105">', "2024-01-05"),
        ('<meta name="publishdate" content="2024-01-05 10:00:00">', "2024-01-05T10:00:00"),
        ('<meta name="date" content="2024-01-05">', "2024-01-05"),
        ('<meta name="DC.date.issued" content="2024-01-05">', "2024-01-05"),
        ('<meta name="sailthru.date" content="Fri, 05 Jan 2024 10:00:00 GMT">', "2024-01-05T10:00:00+00:00"),
        ('<meta name="parsely-pub-date" content="2024-01-05T10:00:00Z">', "2024-01-05T10:00:00+00:00"),
        ('<meta itemprop="datePublished" content="2024-01-05T10:00:00+01:00">', "2024-01-05T10:00:00+01:00"),
        ('<meta name="article:published_time" value="2024-01-05T10:00:00+00:00">', "2024-01-05T10:00:00+00:00"),
    ],
)
def test_other_date_metas(meta, expected):
    c = clean_html(html(meta, article()))
    assert (c.published, c.published_source, sources(c)["published"]) == (expected, "meta", "meta")


def test_time_element_inside_the_article_beats_others():
    body = ('<div class="sidebar"><time datetime="2023-12-31">Yesterday</time></div>'
            '<article><h1>Floods</h1><time datetime="2024-01-05T09:00:00Z">5 January 2024</time>' + BODY
            + '<div class="comments"><time datetime="2024-02-01">1 Feb</time></div></article>')
    c = clean_html(html("", body))
    assert (c.published, c.published_source) == ("2024-01-05T09:00:00+00:00", "time")
    body = ('<article><time datetime="2024-01-07" class="updated">7 Jan</time>'
            '<time pubdate datetime="2024-01-05">5 Jan</time>' + BODY + "</article>")
    c = clean_html(html("", body))
    assert (c.published, c.modified, sources(c)["modified"]) == ("2024-01-05", "2024-01-07", "time")


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://ex.com/2024/01/05/floods", "2024-01-05"),
        ("https://ex.com/world/2024/jan/05/floods", "2024-01-05"),
        ("https://ex.com/news/2024-01-05/floods.html", "2024-01-05"),
        ("https://ex.com/20240105/floods", "2024-01-05"),
        ("https://ex.com/2024/13/45/not-a-date", None),
    ],
)
def test_date_from_the_url(url, expected):
    c = clean_html(html("", article()), url)
    assert (c.published, c.published_source) == (expected, "url" if expected else None)


@pytest.mark.parametrize(
    "written, expected",
    [
        ("January 5, 2024", "2024-01-05"),
        ("Jan. 5, 2024 at 3:10 p.m. ET", "2024-01-05"),
        ("5 Jan 2024", "2024-01-05"),
        ("Friday 5 January 2024 10.42 GMT", "2024-01-05"),
        ("2024-01-05", "2024-01-05"),
        ("05.01.2024", "2024-01-05"),
        ("5 janvier 2024", "2024-01-05"),
        ("2024年1月5日", "2024-01-05"),
    ],
)
def test_visible_date_next_to_the_headline(written, expected):
    body = f'<article><h1>Floods hit valley</h1><div class="story-info"><span>{written}</span></div>{BODY}</article>'
    c = clean_html(html("", body))
    assert (c.published, c.published_source) == (expected, "text")
    assert written not in c.text


def test_a_date_in_the_site_header_is_not_the_articles():
    body = ('<div class="top-bar"><span class="date-today">Monday, 8 January 2024</span></div>'
            '<article><h1>Floods hit valley</h1><p class="article-date">Published 5 January 2024</p>'
            + BODY + "</article>")
    assert clean_html(html("", body)).published == "2024-01-05"


def test_page_date_beats_url_date_and_impossible_dates_are_ignored():
    head = '<meta property="article:published_time" content="2024-02-30T10:00:00Z">'
    c = clean_html(html(head, article()), "https://ex.com/2024/01/05/floods")
    assert (c.published, c.published_source) == ("2024-01-05", "url")


# --- URL, site, language, section, tags ----------------------------------------------------------


def test_canonical_url_resolved_against_the_page_url():
    c = clean_html(html('<link rel="canonical" href="/world/floods">', article()), URL)
    assert (c.canonical_url, sources(c)["canonical_url"]) == ("https://news.example.com/world/floods", "link")
    c = clean_html(html('<meta property="og:url" content="https://news.example.com/floods">', article()), URL)
    assert (c.canonical_url, sources(c)["canonical_url"]) == ("https://news.example.com/floods", "og")
    c = clean_html(html("", article()), URL)
    assert (c.canonical_url, sources(c)["canonical_url"]) == (URL, "url")
    # A template bug: every page's canonical is the home page.
    c = clean_html(html('<link rel="canonical" href="https://news.example.com/">', article()), URL)
    assert c.canonical_url == URL


def test_site_name_and_language():
    c = clean_html(html('<meta property="og:site_name" content="Example News">', article(), lang="en-GB"))
    assert (c.site_name, c.language) == ("Example News", "en")
    assert sources(c)["site_name"] == "og" and sources(c)["language"] == "html"
    head = ld({"@type": "NewsArticle", "publisher": {"@type": "Organization", "name": "Example News"}}) + \
        '<meta property="og:locale" content="fr_FR">'
    c = clean_html(f"<html><head>{head}</head><body>{article()}</body></html>")
    assert (c.site_name, c.language, sources(c)["site_name"], sources(c)["language"]) == \
        ("Example News", "fr", "json-ld", "og")


def test_section_and_tags():
    head = ('<meta property="article:section" content="World">'
            '<meta property="article:tag" content="Floods"><meta property="article:tag" content="Weather">'
            '<meta property="article:tag" content="floods"><meta name="keywords" content="news, today">')
    c = clean_html(html(head, article()))
    assert (c.section, c.tags) == ("World", ("Floods", "Weather"))
    assert sources(c)["section"] == "meta" and sources(c)["tags"] == "meta"
    head = ld({"@type": "NewsArticle", "articleSection": ["World", "Europe"], "keywords": "floods, weather"})
    c = clean_html(html(head, article()))
    assert (c.section, c.tags, sources(c)["section"], sources(c)["tags"]) == \
        ("World", ("floods", "weather"), "json-ld", "json-ld")
    head = ld({"@type": "NewsArticle", "keywords": ["floods", "weather"]})
    assert clean_html(html(head, article())).tags == ("floods", "weather")
    c = clean_html(html('<meta name="keywords" content="floods, weather, valley">', article()))
    assert (c.tags, sources(c)["tags"]) == (("floods", "weather", "valley"), "meta-keywords")


# --- lead image --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "head, expected, where",
    [
        ('<meta property="og:image" content="/img/floods.jpg">', "https://news.example.com/img/floods.jpg", "og"),
        ('<meta name="twitter:image" content="//cdn.example.com/floods.jpg">', "https://cdn.example.com/floods.jpg",
         "twitter"),
        (ld({"@type": "NewsArticle", "image": [{"@type": "ImageObject", "url": "https://cdn.example.com/a.jpg"}]}),
         "https://cdn.example.com/a.jpg", "json-ld"),
        (ld({"@type": "NewsArticle", "image": "https://cdn.example.com/b.jpg"}), "https://cdn.example.com/b.jpg",
         "json-ld"),
        ('<link rel="image_src" href="/c.jpg">', "https://news.example.com/c.jpg", "link"),
    ],
)
def test_lead_image_from_metadata(head, expected, where):
    c = clean_html(html(head, article()), URL)
    assert (c.image_url, sources(c)["image_url"]) == (expected, where)


def test_lead_image_from_the_article_skips_logos_icons_and_pixels():
    body = ('<header><img src="/logo.png" width="300" height="80"></header><article><h1>Floods</h1>'
            '<img src="/pixel.gif" width="1" height="1"><img src="/icons/share.png">'
            '<img class="author-headshot" src="/ann.jpg">'
            '<figure><img src="data:image/gif;base64,R0lGOD" data-src="/photos/floods-large.jpg" width="1200" height="675">'
            '<figcaption>The valley on Sunday.</figcaption></figure>' + BODY + "</article>")
    c = clean_html(html("", body), URL)
    assert (c.image_url, sources(c)["image_url"]) == ("https://news.example.com/photos/floods-large.jpg", "img")


def test_field_sources_lists_every_field_once_in_a_fixed_order():
    head = ('<title>Floods | Example</title><meta property="og:title" content="Floods hit valley">'
            '<meta property="og:site_name" content="Example"><meta property="og:image" content="/a.jpg">'
            '<meta property="article:section" content="World"><meta property="article:tag" content="floods">'
            + ld({"@type": "NewsArticle", "datePublished": "2024-01-05", "dateModified": "2024-01-06",
                  "author": {"@type": "Person", "name": "Ann Lee"}}))
    c = clean_html(html(head, article()), URL)
    assert c.field_sources == (
        ("title", "og"), ("authors", "json-ld"), ("published", "json-ld"), ("modified", "json-ld"),
        ("canonical_url", "url"), ("site_name", "og"), ("language", "html"), ("section", "meta"),
        ("tags", "meta"), ("image_url", "og"),
    )
    assert sources(c)["published"] == c.published_source
    bare = clean_html("<p>Just a short paragraph of text without any metadata at all.</p>")
    assert bare.field_sources == () and bare.published_source is None


# --- real pages -------------------------------------------------------------------------------------


def real(name: str):
    path = SEEDS / "pages" / "herald-sun-surveillance-laws.html" if name == "herald-sun-1" else CLEAN / f"{name}.html"
    return clean_html(decode_body(path.read_bytes(), "html"))


def test_real_pages_metadata():
    ars = real("ars-1")
    assert (ars.title, ars.authors, ars.site_name) == (
        "Just-released Minecraft exploit makes it easy to crash game servers", ("Dan Goodin",), "Ars Technica")
    assert ars.published == "2015-04-16T20:02:01+00:00"
    assert ars.image_url == "https://cdn.arstechnica.net/wp-content/uploads/2015/04/server-crash-640x215.jpg"
    lib = real("liberation-1")
    assert (lib.section, lib.modified) == ("Monde", "2015-04-30T07:38:17")
    # The page escaped its og:image URL twice ("&amp;amp;").
    assert lib.image_url == "http://md1.libe.com/photo/755923-000_hkg10175905.jpg?modified_at=1430371146&width=750"
    assert dict(lib.field_sources)["modified"] == "meta"
    wapo = real("wapo-1")
    assert wapo.tags[:3] == ("tunisia", "bardo museum", "tourists killed")
    assert wapo.section is None  # its section meta is a path ("/world/middle_east"), not a name
    herald = real("herald-sun-1")
    assert (herald.site_name, herald.language) == ("HeraldSun", "en")


def test_newspaper4k_pages_authors_and_dates():
    for name, authors, published in [
        ("n4k-cnn_article", ("Dana A. Ford", "James S.A. Corey", "Chien-Ming Wang", "Tom Watkins"),
         "2013-11-27T08:36:32+00:00"),
        ("n4k-time_001", ("Alejandro de la Garza",), "2023-11-02T19:53:52+00:00"),
    ]:
        c = real(name)
        assert (c.authors, c.published) == (authors, published), name
        md = json.loads((CLEAN / f"{name}.metadata.json").read_text(encoding="utf-8"))
        assert list(c.authors) == md["authors"] and c.published[:10] == md["publish_date"][:10]
        assert c.image_url and c.canonical_url.startswith("http")


# --- documents ----------------------------------------------------------------------------------------


def test_clean_document_carries_every_field_into_the_article():
    head = ('<meta property="og:title" content="Floods hit valley"><meta property="og:image" content="/a.jpg">'
            '<meta property="article:section" content="World"><meta property="article:tag" content="floods">'
            + ld({"@type": "NewsArticle", "datePublished": "2024-01-05T10:00:00Z", "dateModified": "2024-01-06",
                  "author": {"@type": "Person", "name": "Ann Lee"}}))
    doc = raw_document("feed", URL, "html", html(head, article()).encode(), NOW, url=URL, title="Feed title",
                       published="2024-01-04", authors=("Feed Author",))
    art = clean_document(doc)
    assert isinstance(art, Article)
    assert (art.title, art.authors, art.published, art.published_source) == (
        "Floods hit valley", ("Ann Lee",), "2024-01-05T10:00:00+00:00", "json-ld")
    assert (art.modified, art.section, art.tags) == ("2024-01-06", "World", ("floods",))
    assert art.image_url == "https://news.example.com/a.jpg"
    assert dict(art.field_sources) == {
        "title": "og", "authors": "json-ld", "published": "json-ld", "modified": "json-ld",
        "canonical_url": "url", "language": "html", "section": "meta", "tags": "meta", "image_url": "og",
    }
    j = art.to_json()
    assert j["tags"] == ["floods"] and j["field_sources"]["published"] == "json-ld"


def test_clean_document_fills_gaps_from_the_source_and_says_so():
    doc = raw_document("feed", URL, "html", html("", article()).encode(), NOW, url=URL, title="Feed title",
                       published="2024-01-04T08:00:00Z", authors=("Feed Author",),
                       entry_updated="2024-01-04T09:00:00+00:00")
    art = clean_document(doc)
    assert (art.title, art.authors, art.modified) == ("Feed title", ("Feed Author",), "2024-01-04T09:00:00+00:00")
    # The feed's date beats the one guessed from the URL.
    assert (art.published, art.published_source) == ("2024-01-04T08:00:00+00:00", "source")
    src = dict(art.field_sources)
    assert src["title"] == src["authors"] == src["published"] == src["modified"] == "source"
    assert src["canonical_url"] == "url"
    # A date the fetcher made up (the entry had none) is marked as such.
    doc = raw_document("feed", "x", "html", html("", article()).encode(), NOW, published=NOW,
                       published_is_fetch_time=True)
    art = clean_document(doc)
    assert (art.published_source, dict(art.field_sources)["published"]) == ("fetch-time", "fetch-time")


def test_clean_document_plain_text_metadata_all_from_the_source():
    text = ("The river burst its banks early on Sunday, flooding hundreds of homes in the valley.\n\n"
            "Emergency crews worked through the night to move residents to higher ground.\n")
    doc = raw_document("folder", "a.txt", "text", text.encode(), NOW, url="https://ex.com/a", title="Floods",
                       published="2024-01-05", authors=("Ann Lee",))
    art = clean_document(doc)
    assert art.field_sources == (("title", "source"), ("authors", "source"), ("published", "source"),
                                 ("canonical_url", "source"))
    assert (art.modified, art.section, art.tags, art.image_url) == (None, None, (), None)


def test_authors_dc_creator_property_preferred_over_name():
    head = ('<meta name="DC.creator" content="Bo Chen">'
            '<meta property="dc:creator" content="Ann Lee">')
    c = clean_html(html(head, article()), URL)
    assert c.authors == ("Ann Lee",)


def test_authors_outlet_staff_credit_kept_whole():
    c = clean_html(html('<meta name="author" content="AOL Staff">', article()), URL)
    assert c.authors == ("AOL Staff",)
    # A person's name before "Staff" is still just the person.
    c = clean_html(html('<meta name="author" content="Ann Lee, Staff Writer">', article()), URL)
    assert c.authors == ("Ann Lee",)


def test_authors_twitter_label_written_by():
    head = ('<meta name="twitter:label1" content="Written by"><meta name="twitter:data1" content="Ann Lee">'
            '<meta name="twitter:label2" content="Reading time"><meta name="twitter:data2" content="2 min read">')
    c = clean_html(html(head, article()), URL)
    assert c.authors == ("Ann Lee",)
    assert sources(c)["authors"] == "meta"


def test_authors_user_name_with_digits_is_not_an_author():
    head = ld({"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Floods hit valley",
               "author": "CC7567"})
    body = article('<span class="author vcard"><span class="author-name">Ann Lee</span></span>')
    c = clean_html(html(head, body), URL)
    assert c.authors == ("Ann Lee",)


def test_authors_twitter_label_loses_to_the_visible_byline():
    head = '<meta name="twitter:label1" content="Written by"><meta name="twitter:data1" content="Bo Chen">'
    c = clean_html(html(head, article('<p class="byline">By Ann Lee</p>')), URL)
    assert c.authors == ("Ann Lee",)


def test_authors_byline_blocks_read_the_by_line_alone():
    byline = ('<div class="article_byline"><div>By <span>Ann Lee</span></div>'
              '<div><div>Washington Post</div><time>Jan 5, 2024 at 3:45 pm</time></div></div>')
    c = clean_html(html("", article(byline)), URL)
    assert c.authors == ("Ann Lee",)
