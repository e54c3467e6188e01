"""Cleaning: a raw document's bytes become the article's own text plus its metadata.

Pure core first (``decode_body``, ``clean_html``, ``clean_text``, ``clean_document``,
``clean_documents``), the Prefect task wrapper last.

HTML cleaning is a generic, readability-style main-content extractor (no per-site rules):

0. <script> elements (JSON-LD aside) are cut out of the markup in one linear scan before parsing,
   so that no code can reach the text whatever the page's state (truncated, in a CDATA, ...);
1. hard drops: styles, navigation, header/footer, asides, forms' controls, captions,
   hidden elements, and (first attempt) containers whose class/id says nav/comment/related/...;
2. scoring: every paragraph-like block gives points (1 + commas + length) to its parent and,
   decaying, to its ancestors (a wrapper div around a single paragraph passes them on, like
   readability's div-to-p); a container's score is scaled by (1 - link density);
3. the best container plus its good siblings (paragraphs, and divs of plain text) is the article;
   inside it, tables/lists/divs that look like link lists, galleries or widgets are removed
   ("clean conditionally"); data tables (with <th> or <caption>) stay;
4. the kept tree is flattened into paragraphs joined by "\\n\\n" (table cells joined by " | ",
   blank lines in loosely marked-up text start paragraphs), and the same line-level boilerplate
   filter as for plain text (captions, promo lines, cookie notices, bylines, time stamps, agency
   credits) runs over them.

Metadata (title, authors, dates, canonical URL, site, language, section, tags, lead image) is
read from JSON-LD, OpenGraph and other metas, <time>, bylines and the URL; each field says where it
came from in ``Cleaned.field_sources`` (see "HTML: metadata" below for the vocabulary).

All per-node statistics are computed bottom-up in one pass, and every walk over the tree is
iterative, so the work is linear in the size of the tree and deep nesting cannot overflow the
stack. The tree is never mutated: removals are recorded in a set of node ids, which lets the
extractor retry with looser settings (like readability) without parsing the page again. Each page's
soup is decomposed when its cleaning ends; nothing is cached between pages.
"""

from __future__ import annotations

import codecs
import html as html_lib
import json
import re
import warnings
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit
from typing import Iterable, Iterator, Sequence

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, NavigableString, Tag, XMLParsedAsHTMLWarning
from bs4.element import (
    CData,
    Comment,
    Declaration,
    Doctype,
    ProcessingInstruction,
)
from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.errors import BadDocument
from tasks.log import run_logger
from tasks.records import Article, Cleaned, Failure, RawDocument

__all__ = [
    "decode_body",
    "clean_html",
    "clean_text",
    "clean_document",
    "clean_documents",
    "clean_task",
    "MIN_TEXT_CHARS",
]

#: A cleaned article needs at least this many word characters, else it is a "no-text" failure.
MIN_TEXT_CHARS = 40


# ---------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF file"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"BZh91AY&SY", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"\x7fELF", "an executable"),
    (b"RIFF", "a RIFF media file"),
)

# Control bytes other than \t \n \f \r (and ESC, used by some legacy encodings).
_CONTROL = frozenset(set(range(0x00, 0x20)) - {0x09, 0x0A, 0x0C, 0x0D, 0x1B}) | {0x7F}

_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:\-]+)""", re.I)

# WHATWG: these labels mean windows-125x in browsers.
_CHARSET_ALIASES = {
    "iso8859-1": "cp1252",
    "latin-1": "cp1252",
    "ascii": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
}


def _binary_kind(body: bytes) -> str | None:
    """A sentence fragment saying why `body` is binary, or None if it looks like text."""
    for magic, what in _MAGIC:
        if body.startswith(magic):
            return f"looks like {what}, not text"
    head = body[:65536]
    nul = head.find(b"\x00")
    if nul >= 0:
        return f"contains a NUL byte at offset {nul}: binary data, not text"
    sample = body[:8192]
    controls = sum(1 for b in sample if b in _CONTROL)
    if sample and controls / len(sample) > 0.05:
        share = 100 * controls / len(sample)
        return f"{share:.0f}% of its first {len(sample)} bytes are control characters: binary data, not text"
    return None


def _declared_charset(body: bytes) -> str | None:
    """The codec name an HTML page declares in its first bytes (meta charset, XML decl.), if known."""
    head = body[:4096]
    m = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    if not m:
        return None
    label = m.group(1).decode("ascii", "replace").strip().lower()
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name.startswith(("utf-16", "utf-32")):  # a meta tag cannot really declare these
        return "utf-8"
    return _CHARSET_ALIASES.get(name, name)


def _utf8_error(e: UnicodeDecodeError) -> str:
    bad = e.object[e.start : e.start + 1]
    return f"byte 0x{bad.hex()} at offset {e.start}" if bad else f"offset {e.start}"


def decode_body(body: bytes, kind: str, encoding: str | None = None) -> str:
    """Decode a document's bytes to text, or raise BadDocument ("empty", "binary", "not-utf8", ...).

    Text files must be UTF-8 (a BOM is allowed and stripped). HTML honours a BOM, then a declared
    charset (``<meta charset>``, ``http-equiv`` content type, XML declaration) when the bytes are
    not valid UTF-8; a page that declares nothing (or UTF-8) must be valid UTF-8. A declared
    legacy charset is decoded leniently (undefined bytes become U+FFFD).
    """
    if kind not in ("html", "text"):
        raise BadDocument("unsupported-kind", f"Unknown document kind {kind!r}; expected 'html' or 'text'.")
    if not body or not body.strip():
        raise BadDocument("empty", "The document is empty." if not body else "The document is only whitespace.")

    if encoding and kind == "html":
        # The fetcher's charset (BOM, HTTP header, <meta>, else detected), which it checked on the
        # first 64 KiB: a stray byte further on becomes U+FFFD rather than losing the page.
        try:
            return _require_text(body.decode(encoding, errors="replace").lstrip("\ufeff"))
        except LookupError:
            pass
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            try:
                text = body[len(bom) :].decode(encoding)
            except UnicodeDecodeError as e:
                if encoding == "utf-8":
                    raise BadDocument("not-utf8", f"The document is not valid UTF-8 ({_utf8_error(e)}).") from None
                raise BadDocument(
                    "unreadable", f"The document has a {encoding} byte-order mark but is not valid {encoding}."
                ) from None
            return _require_text(text)

    why = _binary_kind(body)
    if why:
        raise BadDocument("binary", f"The document {why}.")

    if kind == "html":
        declared = _declared_charset(body)
        try:
            # Valid UTF-8 is taken as UTF-8 even when the page declares a legacy charset: by chance,
            # legacy-encoded text is practically never valid UTF-8, and mislabelled pages are common.
            return _require_text(body.decode("utf-8"))
        except UnicodeDecodeError as e:
            mixed = _decode_mixed(body, declared)
            if mixed is not None:
                return _require_text(mixed)
            if declared and declared != "utf-8":
                return _require_text(body.decode(declared, errors="replace"))
            if declared:
                detail = f"The page declares UTF-8 but is not valid UTF-8 ({_utf8_error(e)})."
            else:
                detail = f"The page declares no charset and is not valid UTF-8 ({_utf8_error(e)})."
            raise BadDocument("not-utf8", detail) from None
    try:
        return _require_text(body.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise BadDocument("not-utf8", f"The text file is not valid UTF-8 ({_utf8_error(e)}).") from None


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_LEGACY_BYTE = re.compile(rb"[\x80-\xff]")


def _cp1252_fallback(e: UnicodeError) -> tuple[str, int]:
    if not isinstance(e, UnicodeDecodeError):
        raise e
    return e.object[e.start : e.end].decode("cp1252", errors="replace"), e.end


codecs.register_error("newsflow.cp1252", _cp1252_fallback)


def _decode_mixed(body: bytes, declared: str | None) -> str | None:
    """A page of UTF-8 with stray legacy (windows-1252) bytes pasted in: each part decoded as what it is.

    Only when the page really holds UTF-8 text (valid multi-byte sequences) and, if it declares a
    legacy charset, most of its non-ASCII bytes are UTF-8 ones; else None.
    """
    utf8_bytes = sum(len(m) for m in _UTF8_MULTIBYTE.findall(body))
    if not utf8_bytes:
        return None
    if declared and declared != "utf-8":
        high = len(_LEGACY_BYTE.findall(body))
        if utf8_bytes < 0.5 * high:
            return None
    return body.decode("utf-8", errors="newsflow.cp1252")


def _require_text(text: str) -> str:
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise BadDocument("empty", "The document is only whitespace.")
    return text


# ---------------------------------------------------------------------------------------------
# Line-level boilerplate (plain text, and the paragraphs that the HTML extractor produces)
# ---------------------------------------------------------------------------------------------

_SENTENCE_END = tuple(".!?:;\"'”’…»)]")

# A trailing parenthesised photo credit: "(... via Getty Images)", "(AP Photo/...)", "(Reuters)",
# "(NAME/AGENCY)".
_CREDIT_PAREN = re.compile(
    r"\((?:[^()]*\b(?:via|Getty|AP|AP Photo|Reuters|AFP|EPA|EPA-EFE|Shutterstock|Photo|Photos|Photograph|"
    r"Image|Images|Courtesy|Credit|Pool|Xinhua|Anadolu|Bloomberg|Zuma|Alamy|iStock)\b[^()]*"
    r"|[A-Za-z][^()/]{0,60}/[A-Za-z][^()/]{0,60})\)\s*$"
)
# "... Photograph: Name/Agency" (Guardian style) or "Photo: ..." / "Image credit: ..." lines.
_CREDIT_TAIL = re.compile(
    r"(?:^|\s)(?:Photograph|Photo|Photos|Picture|Illustration|Composite|Image|Image credit|Credit)s?\s*:\s*"
    r"[^.!?]{2,80}$",
    re.I,
)
_PROMO_START = re.compile(
    r"^(?:(?:read|see|watch|listen|related|more|also|recommended)\s*:|click here|tap here|read more|see more|read also|also read|see also|read next|read the full|"
    r"watch(?: the)? (?:video|full)|listen to (?:this|the) (?:article|story|podcast)|sign up\b|subscribe\b|"
    r"download (?:the|our)\b|get (?:the|our) .{0,40}\b(?:app|newsletter)\b|follow (?:us|[\w.@ ]{1,40}) on "
    r"(?:twitter|facebook|instagram|x|linkedin|threads|tiktok)\b|share (?:this|on)\b|skip (?:to|ad)\b|"
    r"advertisement\b|sponsored\b|continue reading\b|don't miss\b|more (?:from|on) \b|print this\b|"
    r"email this\b|copy link\b|newsletter\b|join our\b|support our\b|become a member\b|like us on\b)",
    re.I,
)
_PROMO_ANY = re.compile(
    r"\b(?:(?:get|download) (?:the|our) .{0,40}\bapp|sign up for (?:our|the|free)\b.{0,60}\bnewsletter|"
    r"subscribe to (?:our|the) .{0,40}\b(?:newsletter|channel|podcast)|"
    r"(?:enable|turn on) javascript|cookies? (?:policy|settings|consent)|all rights reserved)\b",
    re.I,
)
# A cookie or consent notice.
_COOKIES = re.compile(
    r"\b(?:we|this (?:site|website)|our (?:site|website|partners)) (?:use|uses|and our partners use) cookies\b|"
    r"\b(?:accept|reject|manage|allow) (?:all |our |the use of )?cookies\b|\bcookie (?:policy|settings|preferences|notice|banner)\b|"
    r"\bby (?:continuing|using) (?:to (?:use|browse) )?(?:this|our) (?:site|website)\b.{0,60}\b(?:cookies|agree)\b",
    re.I,
)
_LABEL_LINE = re.compile(
    r"^(?:related(?: (?:articles?|stories|coverage|content|links|topics|reading|news|videos?))?|more stories|"
    r"recommended(?: for you)?|most (?:read|popular|viewed|shared)|trending(?: now)?|top stories|"
    r"advertisement|sponsored(?: content)?|share(?: this (?:article|story))?|comments?|tags|topics|"
    r"next article|previous article|up next|you may also like|editor'?s picks?|about the authors?|"
    r"photos?|videos?|images?|gallery|graphic|audio|watch|play|play video|enlarge this image|expand|close)\s*[:.!»›>|-]*\s*$",
    re.I,
)
_CREDIT_LINE = re.compile(
    r"^(?:(?:additional )?(?:reporting|writing|editing|research|compiled|translated) by\b"
    r"|.{0,140}\bcontributed(?: reporting)?(?: to)? (?:to )?this (?:report|story|article)\b"
    r"|(?:©|\(c\)\s|copyright\b)"
    r"|(?:this (?:article|story) (?:was|has been) (?:originally|first) (?:published|appeared)))",
    re.I,
)


# A byline or dateline on a line of its own: "By Ann Lee and Bo Chen", "Published December 29, 2014".
_BYLINE_LINE = re.compile(
    r"^(?:(?i:by)\s+[A-Z][\w.'’-]*(?:,?\s+(?:[A-Z][\w.'’-]*|and|&|de|van|von|al-\w+))*"
    r"(?:\s*[,|]\s*[A-Z][\w ]{0,30})?"
    r"|(?i:published|updated|posted|last updated|first published)\b[^.!?]{0,60}\d[^.!?]{0,30})$"
)
# AP-style captions: "In this image released by ...", "In this Jan. 4, 2024 file photo, ...".
_CAPTION_START = re.compile(
    r"^in this (?:[\w.,]+ ){0,5}(?:photo|image|picture|file photo|handout|video|still|frame grab|photograph)\b",
    re.I,
)


def _is_shouted(line: str) -> bool:
    """An ALL-CAPS line of at least 4 words: a related-story headline, not prose."""
    if len(line) > 300 or len(line.split()) < 4:
        return False
    letters = [c for c in line if c.isalpha()]
    if len(letters) < 12:
        return False
    cased = [c for c in letters if c.isupper() or c.islower()]
    if len(cased) < 12:
        return False
    upper = sum(1 for c in cased if c.isupper())
    return upper / len(cased) >= 0.9 and len(letters) / max(1, len(line.replace(" ", ""))) >= 0.6


def _is_caption(line: str) -> bool:
    return bool(
        _CREDIT_PAREN.search(line)
        or (_CREDIT_TAIL.search(line) and len(line.split()) <= 80)
        or _CAPTION_START.match(line)
    )


_TIME_BITS = re.compile(
    r"\b\d{1,2}[:.h]\d{2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?)?|\b\d{1,2}\s*[ap]\.?m\.?(?!\w)|"
    r"\b(?:GMT|UTC|BST|CET|CEST|EST|EDT|CST|CDT|MST|MDT|PST|PDT|ET|PT|IST|JST|AEST|AEDT)\b|"
    r"\b\d+\s*(?:mins?|minutes?|hrs?|hours?|days?|weeks?)\s+ago\b|"
    r"\b(?:just now|updated|posted|published|last updated|first published|at|on|am|um)\b|[,|·•:\-–—()/]",
    re.I,
)


def _is_timestamp(line: str) -> bool:
    """A line that is only a date and/or time ("10:42 GMT", "Updated 5 Jan 2024, 3:10 pm")."""
    if len(line) > 70 or not re.search(r"\d", line):
        return False
    s = line
    for rx in (_D_MDY, _D_DMY, _D_YMD, _D_DMY_NUM, _D_CJK):
        s = rx.sub(" ", s)
    s = _TIME_BITS.sub(" ", s)
    words = [w for w in s.lower().split() if w.strip(".") not in _WEEKDAYS and w.strip(".") not in _MONTHS]
    return not words


def _is_promo(line: str) -> bool:
    n = len(line.split())
    if line.startswith(("[", "(")) and line.endswith(("]", ")")):
        line = line[1:-1].strip()  # "[Read: ...]", "(Related: ...)"
    if n <= 25 and (_PROMO_START.match(line) or _LABEL_LINE.match(line)):
        return True
    if n <= 25 and _PROMO_ANY.search(line):
        return True
    if n <= 80 and _COOKIES.search(line):
        return True
    if n <= 12 and _BYLINE_LINE.match(line):
        return True
    if n <= 10 and _is_timestamp(line):  # a live blog's "10:42 GMT", a dateline "Jan 5, 2024 at 3:10 pm"
        return True
    if n <= 5 and line.endswith(("—", "–", " -", "|", "»", "›")):  # a section kicker: "Biz & IT —"
        return True
    return n <= 40 and bool(_CREDIT_LINE.match(line))


def _boilerplate_flags(lines: list[str]) -> list[bool]:
    """For each (stripped, non-empty) line, whether it is boilerplate. General rules only."""
    caption = [_is_caption(x) for x in lines]
    flags = []
    for i, line in enumerate(lines):
        bad = caption[i] or _is_shouted(line) or _is_promo(line)
        if not bad and i + 1 < len(lines) and caption[i + 1]:
            # A short title line with no sentence-final punctuation just above a caption.
            bad = len(line.split()) <= 10 and not line.endswith(_SENTENCE_END)
        flags.append(bad)
    return flags


def clean_text(text: str) -> Cleaned:
    """Remove boilerplate lines (captions, related headlines, promos, credits) from plain text.

    Every non-blank line is a paragraph. When the text separates paragraphs with blank lines,
    consecutive non-blank lines (a hard-wrapped paragraph) stay together, joined by "\\n".
    Kept lines are unchanged apart from surrounding whitespace; paragraphs are joined by "\\n\\n".
    """
    text = text.lstrip("\ufeff")
    raw_lines = text.splitlines()
    lines: list[str] = []
    block_of: list[int] = []
    block = 0
    blank_separated = any(not x.strip() for x in raw_lines[1:-1])
    for x in raw_lines:
        s = x.strip()
        if not s:
            block += 1
            continue
        if not blank_separated:
            block += 1
        lines.append(s)
        block_of.append(block)
    flags = _boilerplate_flags(lines)
    paragraphs: list[list[str]] = []
    last_block = None
    for s, b, bad in zip(lines, block_of, flags):
        if bad:
            continue
        if b != last_block:
            paragraphs.append([])
            last_block = b
        paragraphs[-1].append(s)
    return Cleaned(text="\n\n".join("\n".join(p) for p in paragraphs))


# ---------------------------------------------------------------------------------------------
# HTML: main-content extraction
# ---------------------------------------------------------------------------------------------

# Dropped with their content, always.
_DROP_TAGS = frozenset(
    "script style noscript template iframe frame frameset object embed applet canvas svg math "
    "nav aside footer menu dialog button input select option optgroup textarea label "
    "figcaption head title meta link base audio video source track map area "
    "portal fencedframe".split()
)
# Tags that end a paragraph of text.
_BLOCK_TAGS = frozenset(
    "address article blockquote body center dd details dir div dl dt fieldset figure h1 h2 h3 h4 h5 h6 "
    "hr html li main ol p pre section summary table tbody thead tfoot tr ul caption br hgroup".split()
)
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
# A div containing any of these is not itself a paragraph (readability's DIV_TO_P_ELEMS).
_DIV_BLOCKS = frozenset("blockquote dl div img ol p pre table ul section article h1 h2 h3 h4 h5 h6".split())
_SCORE_TAGS = frozenset("p pre td".split())
_CONDITIONAL = frozenset("form fieldset table ul ol div section".split())
_SKIP_STRINGS = (Comment, CData, ProcessingInstruction, Declaration, Doctype)

_UNLIKELY = re.compile(
    r"-ad-|ai2html|banner|breadcrumbs?|combx|comment|community|cover-wrap|disqus|extra|footer|gdpr|header|"
    r"legends|menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental|"
    r"ad-break|agegate|pagination|pager|popup|yom-remote|newsletter|cookie|consent|outbrain|taboola|"
    r"most-?read|most-?popular|recommend|promo|signup|subscribe|caption|byline|credit",
    re.I,
)
_MAYBE = re.compile(r"and|article|body|column|content|main|mathjax|shadow", re.I)
# Always dropped (even when the class also says "article" or "content"), when they hold little text.
_ALWAYS_JUNK = re.compile(
    r"(?:^|[\s_-])(?:share|sharing|sharedaddy|social|newsletter|cookie|consent|outbrain|taboola|"
    r"related|recommend(?:ed|ations)?|most-?read|most-?popular|promo|caption|credits?|comments?|"
    r"advert(?:isement)?|ad|ads|adslot|ad-slot|breadcrumbs?|byline|tags|tag-list|author-bio|bio)(?:$|[\s_-])",
    re.I,
)
_POSITIVE = re.compile(
    r"article|body|content|entry|hentry|h-entry|main|page|pagination|post|text|blog|story", re.I
)
_NEGATIVE = re.compile(
    r"-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|footer|gdpr|masthead|media|meta|"
    r"outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|widget|"
    r"caption|credit|newsletter",
    re.I,
)
_UNLIKELY_ROLES = frozenset("menu menubar complementary navigation alert alertdialog dialog banner contentinfo".split())
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_COMMAS = re.compile(r"[,\u060C\uFE50\uFE10\uFE11\u2E41\u2E34\u2E32\uFF0C\u3001]")

# Indices into the per-node statistics list.
_CH, _CM, _LK, _NP, _NIMG, _NLI, _NIN, _NEMB, _HD, _ICH, _ICM, _BLK, _NTH = range(13)
_NSTATS = 13


def _class_id(tag: Tag) -> str:
    cls = tag.get("class")
    if isinstance(cls, list):
        cls = " ".join(cls)
    ident = tag.get("id")
    return f"{cls or ''} {ident if isinstance(ident, str) else ''}".strip()


def _class_weight(tag: Tag) -> int:
    w = 0
    cls = tag.get("class")
    if isinstance(cls, list):
        cls = " ".join(cls)
    if cls:
        if _NEGATIVE.search(cls):
            w -= 25
        if _POSITIVE.search(cls):
            w += 25
    ident = tag.get("id")
    if isinstance(ident, str) and ident:
        if _NEGATIVE.search(ident):
            w -= 25
        if _POSITIVE.search(ident):
            w += 25
    return w


def _is_hidden(tag: Tag) -> bool:
    attrs = tag.attrs
    if not attrs:
        return False
    if "hidden" in attrs:
        return True
    if attrs.get("aria-hidden") == "true" and "fallback-image" not in _class_id(tag):
        return True
    style = attrs.get("style")
    return isinstance(style, str) and bool(_HIDDEN_STYLE.search(style))


class _Extractor:
    """One page's content extraction. Holds the soup only while cleaning it."""

    def __init__(self, root: Tag, title: str | None, authors: Iterable[str] = ()):
        self.root = root
        self.title_key = _norm_key(title) if title else None
        self.author_rx = [re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, a.split())) + r"(?!\w)", re.I)
                          for a in authors if a and a.strip()]
        self.byline: list[str] = []
        self.image: str | None = None

    # -- pass 1: what to drop, and bottom-up statistics --------------------------------------
    def _walk(self, strip_unlikely: bool) -> tuple[list[Tag], set[int]]:
        dropped: set[int] = set()
        order: list[Tag] = []
        stack: list[tuple[Tag, bool, bool]] = [(self.root, False, False)]
        while stack:
            node, in_table, in_article = stack.pop()
            name = node.name
            if node is not self.root:
                if name in _DROP_TAGS or _is_hidden(node):
                    dropped.add(id(node))
                    continue
                if name == "header" and not in_article:  # the page's header; an article's header has its intro
                    dropped.add(id(node))
                    continue
                role = node.get("role")
                if isinstance(role, str) and role.lower() in _UNLIKELY_ROLES:
                    dropped.add(id(node))
                    continue
                if strip_unlikely and name not in ("body", "a", "main", "article") and not in_table:
                    ci = _class_id(node)
                    if ci and _UNLIKELY.search(ci) and not _MAYBE.search(ci):
                        dropped.add(id(node))
                        continue
            order.append(node)
            child_in_table = in_table or name in ("table", "code", "pre")
            child_in_article = in_article or name in ("article", "main") or node.get("role") == "main"
            for child in reversed(node.contents):
                if isinstance(child, Tag):
                    stack.append((child, child_in_table, child_in_article))
        return order, dropped

    def _stats(self, order: list[Tag], dropped: set[int]) -> dict[int, list]:
        stats: dict[int, list] = {}
        for node in reversed(order):
            stats[id(node)] = _node_stats(node, stats, dropped)
        return stats

    # -- pass 2: scoring ----------------------------------------------------------------------
    def _score(self, order: list[Tag], stats: dict[int, list], weight_classes: bool) -> tuple[dict[int, float], dict[int, Tag]]:
        scores: dict[int, float] = {}
        nodes: dict[int, Tag] = {}

        def init(node: Tag) -> None:
            name = node.name
            s = 0.0
            if name == "div":
                s = 5
            elif name in ("pre", "td", "blockquote"):
                s = 3
            elif name in ("address", "ol", "ul", "dl", "dd", "dt", "li", "form"):
                s = -3
            elif name in _HEADINGS or name == "th":
                s = -5
            if weight_classes:
                s += _class_weight(node)
            scores[id(node)] = s
            nodes[id(node)] = node

        for node in order:
            st = stats[id(node)]
            name = node.name
            if name in _SCORE_TAGS or (name == "div" and not st[_BLK]):
                chars, commas = st[_CH], st[_CM]
                first = node.parent
                # A wrapper div around a single paragraph is the paragraph (readability's div-to-p).
                inner = node
                while (isinstance(first, Tag) and first.name == "div" and first is not self.root
                       and _only_child(first, inner, stats)):
                    inner, first = first, first.parent
            elif name == "div" and st[_ICH] >= 25:
                # A div with block children and its own loose text: that text is a paragraph.
                chars, commas = st[_ICH], st[_ICM]
                first = node
            else:
                continue
            if chars < 25:
                continue
            content = 1 + commas + min(chars // 100, 3)
            anc = first
            level = 0
            while anc is not None and level < 5:
                parent = anc.parent
                if parent is None or not isinstance(parent, Tag) or parent.name == "[document]" or anc.name == "html":
                    break
                if id(anc) not in scores:
                    init(anc)
                divider = 1 if level == 0 else 2 if level == 1 else level * 3
                scores[id(anc)] += content / divider
                anc = parent
                level += 1
        for k, node in nodes.items():
            st = stats.get(k)
            if st is None:
                continue
            ld = st[_LK] / st[_CH] if st[_CH] else 0.0
            scores[k] *= 1 - ld
        return scores, nodes

    def _top(self, scores: dict[int, float], nodes: dict[int, Tag], stats: dict[int, list]) -> Tag:
        if not scores:
            return self.root
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)[:5]
        top = nodes[ranked[0][0]]
        top_score = ranked[0][1]
        if top.name in ("body", "html") or top_score <= 0:
            return self.root
        alts = [nodes[k] for k, s in ranked[1:] if s / top_score >= 0.75]
        if alts:
            # Only separate branches count: the top's own ancestors (and descendants) always score high.
            top_ancestors = set()
            p = top.parent
            while isinstance(p, Tag):
                top_ancestors.add(id(p))
                p = p.parent
            alts = [a for a in alts if id(a) not in top_ancestors and not _is_inside(a, top)]
        if len(alts) >= 3:
            alt_ancestors = []
            for a in alts:
                seen = set()
                p = a.parent
                while isinstance(p, Tag):
                    seen.add(id(p))
                    p = p.parent
                alt_ancestors.append(seen)
            parent = top.parent
            while isinstance(parent, Tag) and parent.name not in ("body", "html"):
                if sum(1 for s in alt_ancestors if id(parent) in s) >= 3:
                    top = parent
                    break
                parent = parent.parent
        # Walk up while the parent scores better.
        last = scores.get(id(top), 0.0)
        threshold = last / 3
        parent = top.parent
        while isinstance(parent, Tag) and parent.name not in ("body", "html"):
            ps = scores.get(id(parent))
            if ps is None:
                parent = parent.parent
                continue
            if ps < threshold:
                break
            if ps > last:
                top = parent
                break
            last = ps
            parent = parent.parent
        # An only child: take the parent.
        parent = top.parent
        while isinstance(parent, Tag) and parent.name not in ("body", "html"):
            kids = [c for c in parent.contents if isinstance(c, Tag) and id(c) in stats]
            if len(kids) != 1:
                break
            top = parent
            parent = top.parent
        return top

    def _siblings(self, top: Tag, scores: dict[int, float], stats: dict[int, list]) -> list[Tag]:
        parent = top.parent
        if top is self.root or not isinstance(parent, Tag):
            return [top]
        top_score = scores.get(id(top), 0.0)
        threshold = max(10.0, top_score * 0.2)
        top_cls = top.get("class")
        out = []
        for sib in parent.contents:
            if not isinstance(sib, Tag) or id(sib) not in stats:
                continue
            if sib is top:
                out.append(sib)
                continue
            bonus = 0.0
            if top_cls and sib.get("class") == top_cls:
                bonus = top_score * 0.2
            s = scores.get(id(sib))
            if s is not None and s + bonus >= threshold:
                out.append(sib)
            elif sib.name == "div" and not stats[id(sib)][_BLK]:
                # A div holding a paragraph of text (no block children), without a widget's class.
                st = stats[id(sib)]
                n = st[_CH]
                ci = _class_id(sib)
                if n > 80 and st[_LK] / n < 0.25 and not (ci and (_UNLIKELY.search(ci) or _NEGATIVE.search(ci)
                                                                  or _ALWAYS_JUNK.search(ci))):
                    out.append(sib)
            elif sib.name == "p":
                st = stats[id(sib)]
                n = st[_CH]
                ld = st[_LK] / n if n else 0.0
                if n > 80 and ld < 0.25:
                    out.append(sib)
                elif 0 < n < 80 and ld == 0 and re.search(r"\.( |$)", sib.get_text()):
                    out.append(sib)
        return out

    # -- pass 3: clean the chosen content -------------------------------------------------------
    def _clean_conditionally(self, content: list[Tag], stats: dict[int, list], scores: dict[int, float],
                             dropped: set[int], weight_classes: bool) -> None:
        """Drop widget-like containers inside the content, children before parents (like readability).

        Each node's statistics are recomputed from its children just before it is judged, so that
        removals below it count, and the whole pass stays linear in the size of the content.
        """
        for top in content:
            nodes: list[tuple[Tag, bool]] = []  # (node, inside <code> or <figure>)
            stack: list[tuple[Tag, bool]] = [(top, False)]
            while stack:
                node, protected = stack.pop()
                nodes.append((node, protected))
                inner = protected or node.name in ("code", "figure")
                for child in reversed(node.contents):
                    if isinstance(child, Tag) and id(child) in stats and id(child) not in dropped:
                        stack.append((child, inner))
            for node, protected in reversed(nodes):
                stats[id(node)] = _node_stats(node, stats, dropped)
                if node is top:
                    continue
                if self._should_drop(node, protected, stats, scores, weight_classes):
                    dropped.add(id(node))

    def _should_drop(self, node: Tag, protected: bool, stats: dict[int, list], scores: dict[int, float],
                     weight_classes: bool) -> bool:
        st = stats[id(node)]
        name = node.name
        chars = st[_CH]
        ci = _class_id(node)
        if ci and chars < 500 and _ALWAYS_JUNK.search(ci):
            return True
        if name in ("h1", "h2"):
            if weight_classes and _class_weight(node) < 0:
                return True
            if self.title_key and _norm_key(node.get_text(" ")) == self.title_key:
                return True
            return False
        if name not in _CONDITIONAL:
            return False
        if protected:
            return False
        if name == "table" and (st[_NTH] or node.get("role") == "grid"):
            return False  # a data table
        weight = _class_weight(node) if weight_classes else 0
        if weight + scores.get(id(node), 0.0) < 0:
            return True
        if st[_CM] >= 10:
            return False
        is_list = name in ("ul", "ol")
        if not is_list and chars:
            list_chars = 0
            for c in node.contents:
                if isinstance(c, Tag) and c.name in ("ul", "ol") and id(c) in stats:
                    list_chars += stats[id(c)][_CH]
            is_list = list_chars / chars > 0.9
        p, img, li, inputs, embeds = st[_NP], st[_NIMG], st[_NLI] - 100, st[_NIN], st[_NEMB]
        ld = st[_LK] / chars if chars else 0.0
        heading_density = st[_HD] / chars if chars else 0.0
        if img > 1 and p / img < 0.5:
            return True
        if not is_list and li > p:
            return True
        if inputs > p // 3 and inputs > 0:
            return True
        if not is_list and heading_density < 0.9 and chars < 25 and (img == 0 or img > 2):
            return True
        if not is_list and weight < 25 and ld > 0.2:
            return True
        if weight >= 25 and ld > 0.5:
            return True
        if (embeds == 1 and chars < 75) or embeds > 1:
            return True
        return False

    # -- pass 4: text ----------------------------------------------------------------------------
    def _text(self, content: list[Tag], dropped: set[int], stats: dict[int, list]) -> list[str]:
        blocks: list[str] = []
        buf: list[str] = []

        def flush() -> None:
            if buf:
                s = "".join(buf)
                if "\x1f" in s:  # a table row: its cells, " | " between them
                    s = " | ".join(c for c in (" ".join(x.split()) for x in s.split("\x1f")) if c)
                else:
                    s = " ".join(s.split())
                if s:
                    blocks.append(s)
                buf.clear()

        for top in content:
            stack: list = [top]
            while stack:
                item = stack.pop()
                if item is None:  # end of a block element
                    flush()
                    continue
                if isinstance(item, str) and not isinstance(item, NavigableString):
                    buf.append(item)
                    continue
                if isinstance(item, Tag):
                    if id(item) in dropped or id(item) not in stats:
                        continue
                    name = item.name
                    if name == "br" or name == "hr":
                        flush()
                        continue
                    block = name in _BLOCK_TAGS
                    if block:
                        flush()
                        stack.append(None)
                    elif name in ("td", "th"):
                        stack.append("\x1f")  # the end of a table cell
                    for child in reversed(item.contents):
                        stack.append(child)
                elif isinstance(item, NavigableString) and not isinstance(item, _SKIP_STRINGS):
                    if "\n" in item and item.parent is not None and item.parent.name in _LOOSE_TEXT_PARENTS \
                            and _BLANK_LINE.search(item):
                        # Text with little markup: blank lines separate its paragraphs.
                        pieces = _BLANK_LINE.split(str(item))
                        for piece in pieces[:-1]:
                            buf.append(piece)
                            flush()
                        buf.append(pieces[-1])
                    else:
                        buf.append(str(item))
            flush()
        return blocks

    def run(self) -> str:
        """The article text; also sets ``byline`` (a "By ..." line at its top) and ``image`` (its first large image)."""
        attempts: list[tuple[int, tuple[list[str], list[str], list[Tag], set[int], dict[int, list]]]] = []
        # readability's retries: strict first, then looser when the result is short.
        for strip_unlikely, weight_classes, conditional in (
            (True, True, True),
            (False, True, True),
            (False, False, True),
            (False, False, False),
        ):
            order, dropped = self._walk(strip_unlikely)
            stats = self._stats(order, dropped)
            scores, nodes = self._score(order, stats, weight_classes)
            top = self._top(scores, nodes, stats)
            content = self._siblings(top, scores, stats)
            if conditional:
                self._clean_conditionally(content, stats, scores, dropped, weight_classes)
            raw_blocks = self._text(content, dropped, stats)
            if self.title_key:
                raw_blocks = [b for b in raw_blocks if _norm_key(b) != self.title_key]
            if self.author_rx:  # the byline again, in the body: "Ann Lee - Jan 5, 2024 3:10 pm UTC"
                raw_blocks = [b for b in raw_blocks if not _is_byline_block(b, self.author_rx)]
            blocks = _filter_blocks(raw_blocks)
            n = sum(map(len, blocks))
            attempts.append((n, (blocks, raw_blocks, content, dropped, stats)))
            if n >= 500:
                break
        # A short page: the strictest attempt that kept (nearly) as much as the loosest one, so that
        # the looser passes' widgets do not come back for a handful of characters.
        longest = max(n for n, _ in attempts)
        best = next(a for n, a in attempts if n >= longest * _RETRY_KEEP)
        blocks, raw_blocks, content, dropped, stats = best
        self.byline = _byline_from_lines(raw_blocks[:4])
        self.image = _img_src_in(content, dropped, stats)
        return "\n\n".join(blocks)


_RETRY_KEEP = 0.9
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v\u00a0]*\n\s*")
_LOOSE_TEXT_PARENTS = frozenset("body html div pre td article section main blockquote center [document]".split())


def _only_child(parent: Tag, child: Tag, stats: dict[int, list]) -> bool:
    """Whether `child` is `parent`'s only kept element child and the parent has no loose text."""
    n = 0
    for c in parent.contents:
        if isinstance(c, Tag):
            if id(c) in stats:
                n += 1
                if c is not child or n > 1:
                    return False
        elif isinstance(c, NavigableString) and not isinstance(c, _SKIP_STRINGS) and c.strip():
            return False
    return n == 1


def _is_byline_block(block: str, author_rx: list[re.Pattern]) -> bool:
    """A short block that is only the known authors' names, "By", roles and a date or time."""
    if len(block) > 200:
        return False
    rest, found = block, False
    for rx in author_rx:
        rest, n = rx.subn(" ", rest)
        found = found or n > 0
    if not found:
        return False
    words = [w for w in re.split(r"[\s,;|•·()\[\]\-–—]+", rest)
             if w and w.lower().strip(".:") not in _BYLINE_FILLER and w.lower().strip(".:") not in _ROLE_WORDS]
    return not words or _is_timestamp(" ".join(words))


_BYLINE_FILLER = frozenset("by and und et y e von par por door written words with photos updated published posted "
                           "on at".split())


def _is_inside(node: Tag, container: Tag) -> bool:
    p = node.parent
    while isinstance(p, Tag):
        if p is container:
            return True
        p = p.parent
    return False


def _node_stats(node: Tag, stats: dict[int, list], dropped: set[int]) -> list:
    """A node's statistics from its kept children's (which must be in `stats` already)."""
    st = [0] * _NSTATS
    for child in node.contents:
        if isinstance(child, Tag):
            cs = stats.get(id(child))
            if cs is None or id(child) in dropped:
                continue
            for i in range(_BLK):
                st[i] += cs[i]
            st[_NTH] += cs[_NTH]
            cname = child.name
            if cname in _BLOCK_TAGS:
                if cname in _DIV_BLOCKS:
                    st[_BLK] = 1
                st[_BLK] |= cs[_BLK]
            else:
                st[_ICH] += cs[_CH]
                st[_ICM] += cs[_CM]
                st[_BLK] |= cs[_BLK]
        elif isinstance(child, NavigableString) and not isinstance(child, _SKIP_STRINGS):
            words = child.split()
            if words:
                n = sum(map(len, words)) + len(words) - 1
                c = len(_COMMAS.findall(child)) if "," in child or "\uFF0C" in child or "\u060C" in child else 0
                st[_CH] += n
                st[_CM] += c
                st[_ICH] += n
                st[_ICM] += c
    name = node.name
    if name == "a":
        st[_LK] = st[_CH]
    elif name == "p":
        st[_NP] += 1
    elif name == "li":
        st[_NLI] += 1
    elif name == "img":
        st[_NIMG] += 1
    elif name in _HEADINGS:
        st[_HD] = st[_CH]
    elif name in ("embed", "object", "iframe", "video"):
        st[_NEMB] += 1
    elif name in ("th", "caption"):
        st[_NTH] += 1
    return st


def _filter_blocks(blocks: list[str]) -> list[str]:
    flags = _boilerplate_flags(blocks)
    return [b for b, bad in zip(blocks, flags) if not bad]


def _norm_key(s: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", s.lower()).split())


# Flat fallback for trees that bs4 cannot walk (RecursionError) -------------------------------------
_FLAT_DROP = re.compile(r"<(script|style|noscript|template|svg|head|nav|footer|aside)\b.*?(?:</\1\s*>|$)", re.I | re.S)
_FLAT_BLOCK = re.compile(r"</?(?:p|div|br|li|h[1-6]|tr|section|article|blockquote|pre|ul|ol|table)\b[^>]*>", re.I)
_FLAT_TAG = re.compile(r"<[^>]*>?")
_FLAT_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)


def _flat_text(markup: str) -> str:
    s = _FLAT_COMMENT.sub(" ", markup)
    s = _FLAT_DROP.sub(" ", s)
    s = _FLAT_BLOCK.sub("\n\n", s)
    s = _FLAT_TAG.sub(" ", s)
    s = html_lib.unescape(s)
    blocks = [" ".join(b.split()) for b in re.split(r"\n\s*\n", s)]
    return "\n\n".join(_filter_blocks([b for b in blocks if b]))


# ---------------------------------------------------------------------------------------------
# HTML: metadata
# ---------------------------------------------------------------------------------------------
#
# Each field comes from the most reliable place that has it, and Cleaned.field_sources records
# which place that was (``published_source`` keeps the same value for the publication date):
#
#   "json-ld"        schema.org JSON-LD of the article (NewsArticle, BlogPosting, ...)
#   "og" / "twitter" OpenGraph og:* / Twitter twitter:* metas
#   "meta"           other metas: article:*, author, pubdate, DC.*, parsely-*, sailthru.*, itemprop microdata
#   "meta-keywords"  <meta name="keywords"> (tags, last resort)
#   "link"           <link rel="canonical"> / <link rel="image_src">
#   "h1" / "title"   the page's <h1> / <title>
#   "time"           a <time> element (one marked pubdate or inside the article first)
#   "rel-author"     rel="author" / itemprop="author" elements and links to author pages
#   "byline"         an element whose class/id says byline or author
#   "text"           a "By ..." line or a written date next to the headline
#   "url"            the page URL (a /2024/01/05/ date; the canonical URL when the page names none)
#   "html"           <html lang>
#   "img"            the first large image of the article text
#
# clean_document adds "source" (feed entry, sidecar or JSONL record) and "fetch-time".

_ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "blogposting", "analysisnewsarticle", "webpage",
    "opinionnewsarticle", "backgroundnewsarticle", "report", "scholarlyarticle", "techarticle", "posting",
    "socialmediaposting", "liveblogposting", "creativework", "reviewnewsarticle", "askpublicnewsarticle",
}
_TITLE_SEP = re.compile(r"\s+(?:\||-|–|—|::|«|»|/|·)\s+")
_MONTHS: dict[str, int] = {}
for _i, _names in enumerate((
    "jan january janvier januar enero gennaio janeiro jänner",
    "feb february février fevrier februar febrero febbraio fevereiro",
    "mar march mars märz maerz marzo março",
    "apr april avril abril aprile",
    "may mai mayo maggio maio",
    "jun june juin juni junio giugno junho",
    "jul july juillet juli julio luglio julho",
    "aug august août aout agosto",
    "sep sept september septembre septiembre settembre setembro",
    "oct october octobre oktober octubre ottobre outubro",
    "nov november novembre noviembre novembro",
    "dec december décembre decembre dezember diciembre dicembre dezembro",
), start=1):
    for _n in _names.split():
        _MONTHS[_n] = _i
_WEEKDAYS = frozenset(
    "mon monday tue tues tuesday wed wednesday thu thur thurs thursday fri friday sat saturday sun sunday".split()
)
# /2024/01/05/, /2024/jan/05/, /2024-01-05/, /20240105/
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2}|[a-z]{3})[/-](\d{1,2})(?:/|$|[^\d])", re.I)
_URL_DATE_COMPACT = re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})(?:/|$|[^\d])")
_DATE_META_KEYS = (
    "article:published_time", "og:article:published_time", "article.published", "datepublished",
    "article:published", "published_time", "og:published_time", "pubdate", "publishdate", "publish-date",
    "publish_date", "publication_date", "date", "dc.date", "dc.date.issued", "dc.date.created",
    "dcterms.issued", "dcterms.created", "dcterms.date", "sailthru.date", "parsely-pub-date",
    "cxenseparse:recs:publishtime", "article_date_original", "originalpublicationdate",
    "datecreated", "creation_date", "displaydate", "citation_publication_date", "citation_date",
    "published_at", "published-date", "release_date", "created", "timestamp",
)
_MODIFIED_META_KEYS = (
    "article:modified_time", "og:article:modified_time", "datemodified", "og:updated_time",
    "article:modified", "modified_time", "last-modified", "lastmod", "dc.date.modified",
    "dcterms.modified", "sailthru.lastmodified", "parsely-updated", "date.modified", "updated_time",
    "modified", "revised",
)
_SECTION_META_KEYS = ("article:section", "og:article:section", "section", "parsely-section", "sailthru.section",
                      "article.section", "dc.subject", "category", "articlesection")
_TAG_META_KEYS = ("news_keywords", "parsely-tags", "sailthru.tags", "article.tags", "tags")
_AUTHOR_META_KEYS = frozenset(("author", "article:author", "og:article:author", "dc.creator", "dc:creator", "dcterms.creator",
                               "sailthru.author", "parsely-author", "byl", "author_name", "citation_author",
                               "twitter:creator:name", "cxenseparse:author"))
_AUTHOR_META_ORDER = ("article:author", "og:article:author", "parsely-author", "sailthru.author", "byl",
                      "dc:creator", "dcterms.creator", "dc.creator", "author", "author_name", "citation_author",
                      "twitter:creator:name", "cxenseparse:author")
_TITLE_META_KEYS = ("dc.title", "dc:title", "dcterms.title", "dcterms:title", "parsely-title", "sailthru.title", "headline", "title")
_IMAGE_META_KEYS = (("og:image:secure_url", "og"), ("og:image", "og"), ("og:image:url", "og"),
                    ("twitter:image", "twitter"), ("twitter:image:src", "twitter"))


def _ymd(y: int, mo: int, d: int, time_part: str = "") -> str | None:
    try:
        day = date(y, mo, d)
    except ValueError:
        return None
    return day.isoformat() if 1900 <= y <= 2100 else None


_D_MDY = re.compile(r"(?<![\w])([^\W\d_]{3,10})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+((?:19|20)\d{2})(?!\d)")
_D_DMY = re.compile(r"(?<![\w.])(\d{1,2})(?:st|nd|rd|th|er|º)?\.?\s+(?:de\s+)?([^\W\d_]{3,10})\.?,?\s+(?:de\s+)?((?:19|20)\d{2})(?!\d)")
_D_YMD = re.compile(r"(?<![\d])((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d])")
_D_DMY_NUM = re.compile(r"(?<![\d.])(\d{1,2})([./])(\d{1,2})\2((?:19|20)\d{2})(?![\d])")
_D_CJK = re.compile(r"((?:19|20)\d{2})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?")


def _date_in_text(s: str) -> str | None:
    """The first written date in `s` ("January 5, 2024", "5 Jan 2024", "2024-01-05", ...), as ISO."""
    best: tuple[int, str] | None = None

    def consider(pos: int, iso: str | None) -> None:
        nonlocal best
        if iso and (best is None or pos < best[0]):
            best = (pos, iso)

    for m in _D_MDY.finditer(s):
        mo = _MONTHS.get(m.group(1).lower())
        if mo:
            consider(m.start(), _ymd(int(m.group(3)), mo, int(m.group(2))))
            break
    for m in _D_DMY.finditer(s):
        mo = _MONTHS.get(m.group(2).lower())
        if mo:
            consider(m.start(), _ymd(int(m.group(3)), mo, int(m.group(1))))
            break
    for m in _D_YMD.finditer(s):
        iso = _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if iso:
            consider(m.start(), iso)
            break
    for m in _D_CJK.finditer(s):
        iso = _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if iso:
            consider(m.start(), iso)
            break
    for m in _D_DMY_NUM.finditer(s):
        a, b, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
        # 05.01.2024 is day.month (European dots); 1/5/2024 only when unambiguous.
        iso = _ymd(y, b, a) if a > 12 or m.group(2) == "." else _ymd(y, a, b) if b > 12 else None
        if iso:
            consider(m.start(), iso)
            break
    return best[1] if best else None


_ISO_DT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2}|[+-]\d{2})?)?",
    re.I,
)


def _link_href(links: Iterable[Tag], rel_value: str, base: str | None) -> str | None:
    """The absolute href of the first <link rel="rel_value"> with one."""
    for link in links:
        rel = link.get("rel") or []
        rel = rel.split() if isinstance(rel, str) else rel
        if rel_value in (r.lower() for r in rel):
            href = _abs_url(link.get("href"), base)
            if href:
                return href
    return None


def _structured_date(
    ld_value: str | None, metas: dict, meta_keys: Sequence[str], itemprops: Sequence[tuple[str, str]], itemprop: str
) -> tuple[str | None, str]:
    """A date from JSON-LD, else the first of `meta_keys`, else itemprop=`itemprop`: (ISO date, source)."""
    if ld_value:
        return ld_value, "json-ld"
    for value in [metas.get(k) for k in meta_keys] + [v for k, v in itemprops if k == itemprop]:
        d = _iso_date(value)
        if d:
            return d, "meta"
    return None, "json-ld"


def _iso_date(value: object) -> str | None:
    """Normalise a date/datetime string to ISO 8601, or None when it cannot be read."""
    if not value or not isinstance(value, str):
        return None
    s = value.strip()
    if not s or len(s) > 200:
        return None
    m = _ISO_DT.match(s)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        day = _ymd(y, mo, d)
        if day is None:
            return None
        if m.group(4) is None:
            return day
        iso = f"{m.group(1)}-{m.group(2)}-{m.group(3)}T{m.group(4)}:{m.group(5)}:{m.group(6) or '00'}"
        tz = m.group(7)
        if tz:
            if tz.upper() in ("Z", "UTC", "GMT"):
                tz = "+00:00"
            elif len(tz) == 3:
                tz += ":00"
            elif ":" not in tz:
                tz = tz[:3] + ":" + tz[3:]
            iso += tz
        try:
            return datetime.fromisoformat(iso).isoformat()
        except ValueError:
            return day
    if re.match(r"^\d{4}-\d{2}-\d{2}", s):
        return None  # an impossible ISO date
    if re.search(r"[a-z]{3}", s, re.I) and re.search(r"\d{1,2}:\d{2}", s):
        try:
            dt = parsedate_to_datetime(s)  # RFC 2822: "Tue, 05 Jan 2024 10:00:00 GMT"
            if dt is not None and 1900 <= dt.year <= 2100:
                return dt.replace(microsecond=0).isoformat()
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    m = re.match(r"^((?:19|20)\d{2})(\d{2})(\d{2})$", s)
    if m:
        return _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return _date_in_text(s)


def _date_from_url(url: str | None) -> str | None:
    if not url or not isinstance(url, str):
        return None
    path = url.split("?", 1)[0].split("#", 1)[0]
    for m in _URL_DATE.finditer(path):
        mo = m.group(2)
        month = _MONTHS.get(mo.lower()) if mo.isalpha() else int(mo)
        if month:
            d = _ymd(int(m.group(1)), month, int(m.group(3)))
            if d:
                return d
    m = _URL_DATE_COMPACT.search(path)
    if m:
        return _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return None


def _language(value: object) -> str | None:
    if not value or not isinstance(value, str):
        return None
    m = re.match(r"^\s*([A-Za-z]{2,3})(?:$|[-_\s,;])", value)
    return m.group(1).lower() if m else None


def _looks_like_url(s: str) -> bool:
    s = s.strip()
    return bool(re.match(r"^(?:https?:)?//|^www\.", s, re.I)) or ("/" in s and " " not in s)


# --- authors ------------------------------------------------------------------------------------

_AUTHOR_SPLIT = re.compile(
    r"\s*(?:,|;|&|\+|\b(?i:and|und|et|with|avec|mit|con)\b|\by\b|\be\b|\||\s/\s|•|·|\s[-–—]\s)\s*"
)
_BY_PREFIX = re.compile(
    r"^\s*(?:(?:written|words|text|story|reporting|report|posted|published|compiled|interview)\s+)?"
    r"(?:by|von|par|por|door)(?:\b\s*[:\-]?\s*|(?=[A-Z]))",
    re.I,
)
_AUTHOR_NOISE = (
    (re.compile(r"\S+@\S+\.\w+"), " "),  # e-mail addresses
    (re.compile(r"https?://\S+|www\.\S+"), " "),  # URLs
    (re.compile(r"(?<![\w])@\w{1,30}"), " "),  # Twitter handles
    (re.compile(r"\b(?:follow(?:\s+(?:me|him|her|them|us))?(?:\s+on)?|twitter|e-?mail|facebook|instagram|"
                r"linkedin|contact|updated|published|posted|last updated|modified)\b.*$", re.I | re.S), ""),
    (re.compile(r"\b(?:edited|illustrations?|photos?|photographs?|photography|images?|video|graphics|"
                r"produced|design(?:ed)?|translated|additional reporting)\s+by\b.*$", re.I | re.S), ""),
    (re.compile(r"\s+in\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)*"), ""),  # "in London", "in New York"
    (re.compile(r"\d.*$", re.S), ""),  # dates and times glued to the byline
)
_ROLE_HEADS = frozenset(
    "writer writers reporter reporters correspondent correspondents editor editors columnist contributor "
    "contributors producer journalist photographer analyst critic intern freelancer staff stringer blogger "
    "chief officer director manager coordinator strategist specialist".split()
)
_ROLE_WORDS = _ROLE_HEADS | frozenset(
    "senior junior chief deputy managing associate assistant executive contributing political politics "
    "foreign business sports sport games gaming science health tech technology news digital national "
    "international special investigative economics economy culture arts entertainment fashion food travel "
    "opinion markets legal white house washington bureau global europe royal media social video audio data "
    "graphics visual weather staff local metro city state lead breaking world us uk features feature "
    "education environment climate energy security defence defense diplomatic medical crime courts "
    "property money finance financial wire guest regular freelance of the at for & and our".split()
)
_NAME_ENDS = frozenset("at for using via from on is was".split())
_CREDENTIALS = frozenset("ma ms msc phd md rn mba bsc ba jd mph dr do llm mph frcp".split())
_NAME_PARTICLES = frozenset("de da di del della der den van von la le du dos das bin ibn al el ter ten y e st.".split())
_NOT_NAMES = frozenset(
    "profile view posts articles comments comment share subscribe follow read more click login log sign menu "
    "search home about contact privacy terms cookie cookies newsletter see "
    "newsroom our none null undefined by http https www com facebook twitter published updated posted".split()
)
_NOT_A_NAME = frozenset("author authors admin administrator anonymous unknown guest user users team editorial "
                        "staff all name".split())


def _trim_role(words: list[str]) -> list[str]:
    def low(w: str) -> str:
        return w.lower().strip(".,:")

    if (len(words) >= 2 and low(words[-1]) == "staff" and words[-1][:1].isupper()
            and any(sum(c.isupper() for c in w) >= 2 for w in words[:-1])):
        return words  # "AOL Staff", "ZDNet Japan Staff": an outlet's staff credit, kept whole
    if words and low(words[-1]) in _ROLE_HEADS:  # "Ben Silverman Games Editor"
        i = len(words) - 1
        while i > 0 and low(words[i - 1]) in _ROLE_WORDS:
            i -= 1
        words = words[:i]
    j = 0
    while j < len(words) and low(words[j]) in _ROLE_WORDS:
        j += 1
    if 0 < j < len(words) and any(low(w) in _ROLE_HEADS for w in words[:j]):  # "Staff Writer Ann Lee"
        words = words[j:]
    for i, w in enumerate(words):  # "Ann Lee at Reuters", "Bo Chen for The Times"
        if i >= 2 and w in _NAME_ENDS:
            words = words[:i]
            break
    while words and (low(words[-1]) in _CREDENTIALS or low(words[-1]) in _WEEKDAYS or low(words[-1]) in _MONTHS):
        words = words[:-1]
    return words


def _name_ok(name: str) -> bool:
    words = name.split()
    if not 1 <= len(words) <= 5 or len(name) > 50:
        return False
    if re.search(r"[\d:?!()\[\]{}<>=/\\#*%$€£©®™_]", name) or name[:1] in "\"“”'‘’«»" or name[-1:] in "\"“”«»":
        return False
    lows = [w.lower().strip(".,'’") for w in words]
    if any(w in _NOT_NAMES for w in lows) or all(w in _ROLE_WORDS or w in _CREDENTIALS or w in _NOT_A_NAME for w in lows):
        return False
    cased = [w for w, lw in zip(words, lows) if lw not in _NAME_PARTICLES and w[:1].isalpha() and
             (w[:1].isupper() or w[:1].islower())]
    if cased:
        upper = sum(1 for w in cased if w[:1].isupper())
        if upper / len(cased) < 0.5:
            return False
    return True


def _split_authors(value: str) -> list[str]:
    """Person names from an author string: "By Ann Lee and Bo Chen, Staff Writers" -> [Ann Lee, Bo Chen]."""
    if not isinstance(value, str):
        return []
    value = " ".join(value.split())
    if not value or len(value) > 300 or _looks_like_url(value):
        return []
    value = _BY_PREFIX.sub("", value)
    if re.fullmatch(r"[A-Za-z_.-]+\d+", value):  # "CC7567": a user name, not a name glued to a date
        return []
    for rx, repl in _AUTHOR_NOISE:
        value = rx.sub(repl, value)
    # "(avec X et Y)" is a list of names; "(R.J.)" or "(Reuters)" is dropped.
    value = re.sub(r"\(([^()]*)\)", lambda m: ", " + m.group(1) + "," if len(m.group(1).split()) > 1 else " ", value)
    m = re.match(r"^([A-Z][\w'’-]+),\s*([A-Z][\w'’-]+(?:\s+[A-Z]\.)?)$", value.strip())
    if m and not value.isupper():  # "Gillman, Steve": family name first
        value = f"{m.group(2)} {m.group(1)}"
    out = []
    for part in _AUTHOR_SPLIT.split(value):
        part = _BY_PREFIX.sub("", part).strip(" .,:;-–—|•·*()[]")
        if not part or "@" in part or _looks_like_url(part):
            continue
        words = _trim_role(part.split())
        name = " ".join(words).strip(" ,.")
        if name and _name_ok(name):
            out.append(name)
    return out


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    seen = set()
    out = []
    for x in items:
        k = " ".join(x.casefold().split())
        if k not in seen:
            seen.add(k)
            out.append(x)
    return tuple(out)


def _final_authors(names: list[str]) -> tuple[str, ...]:
    names = list(_dedupe(names))
    # An agency or outlet ("CNN", "AFP") beside people's names is a credit, not an author.
    if any(len(n.split()) > 1 for n in names):
        names = [n for n in names if len(n.split()) > 1]
    return tuple(names[:10])


# --- one pass over the tree ----------------------------------------------------------------------

_BYLINE_CLASS = re.compile(r"byline|author(?!ity)|writer|contributor", re.I)
_NOT_BYLINE_CLASS = re.compile(r"bio|about|avatar|photo|image|img|thumb|headshot|more-by|other", re.I)
_DATE_CLASS = re.compile(r"date|time|publish|posted|dateline", re.I)
_MODIFIED_CLASS = re.compile(r"updat|modif|revis", re.I)
_SIDE_CLASS = re.compile(
    r"(?:^|[\s_-])(?:comment|related|recommend|sidebar|most-?read|most-?popular|popular|outbrain|taboola|trending|"
    r"teaser|promo|newsletter|footer|more-from|more-stories|read-next|up-next|carousel)", re.I,
)
_AUTHOR_HREF = re.compile(r"/(?:authors?|by|byline|people|person|profiles?|staff|writers?|journalists?|editors?|"
                          r"contributors?|reporters?|columnists?|team)/[^/?#]+/?(?:[?#]|$)", re.I)
_ARTICLE_MARK = re.compile(r"articlebody|article-body|article__body|story-body|entry-content|post-content", re.I)


class _Scan:
    """What metadata is read from, collected in one pass over the tree (find_all is slow)."""

    def __init__(self) -> None:
        self.metas: list[tuple[str, str]] = []  # (lower-cased key, content), in page order
        self.ld: list[Tag] = []
        self.links: list[Tag] = []
        self.title: Tag | None = None
        self.base: str | None = None
        self.h1: list[tuple[Tag, bool, int]] = []  # (h1, in a side box, position in the page)
        self.times: list[tuple[Tag, bool, bool]] = []  # (time, in the article, in a side box)
        self.rel_authors: list[Tag] = []  # rel="author", itemprop="author"
        self.author_links: list[tuple[Tag, bool]] = []  # links to author pages, (a, in the article)
        self.bylines: list[Tag] = []
        self.date_els: list[tuple[Tag, bool, int]] = []  # elements whose class says date: (el, modified?, position)
        self.itemprop_dates: list[tuple[str, str]] = []  # ("datepublished" | "datemodified", value)


def _scan(soup: BeautifulSoup) -> _Scan:
    f = _Scan()
    stack: list[tuple[Tag, bool, bool, bool]] = [(soup, False, False, False)]
    pos = 0
    while stack:
        el, in_article, in_side, in_box = stack.pop()
        pos += 1
        name = el.name
        attrs = el.attrs
        if name == "meta":
            key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or attrs.get("http-equiv")
            content = attrs.get("content")
            if content is None:
                content = attrs.get("value")
            if isinstance(key, str) and isinstance(content, str) and content.strip():
                for k in key.lower().split():
                    f.metas.append((k, content.strip()))
            continue
        if name == "script":
            typ = attrs.get("type")
            if isinstance(typ, str) and "ld+json" in typ.lower() and len(f.ld) < 20:
                f.ld.append(el)
            continue
        if name in ("style", "noscript", "template", "svg", "iframe", "textarea", "select"):
            continue
        if name == "link":
            f.links.append(el)
            continue
        if name == "title":
            if f.title is None:
                f.title = el
            continue
        if name == "base":
            href = attrs.get("href")
            if f.base is None and isinstance(href, str) and href.strip():
                f.base = href.strip()
            continue
        if name == "h1" and len(f.h1) < 10:
            f.h1.append((el, in_side, pos))
        elif name == "time" and len(f.times) < 50:
            f.times.append((el, in_article, in_side))
        ci = _class_id(el) if attrs else ""
        if attrs and not in_box:
            rel = attrs.get("rel")
            rel = rel.lower().split() if isinstance(rel, str) else [r.lower() for r in rel] if isinstance(rel, list) else []
            itemprop = attrs.get("itemprop")
            itemprop = itemprop.lower() if isinstance(itemprop, str) else ""
            if len(f.rel_authors) < 20 and ("author" in rel or "author" in itemprop.split() or "creator" in itemprop.split()):
                f.rel_authors.append(el)
            elif in_side:
                pass
            elif (len(f.author_links) < 20 and name == "a" and isinstance(attrs.get("href"), str)
                  and _AUTHOR_HREF.search(attrs["href"])):
                f.author_links.append((el, in_article))
            if in_side:
                pass
            elif itemprop in ("datepublished", "datemodified", "datecreated"):
                v = attrs.get("content") or attrs.get("datetime") or el.get_text(" ")
                if isinstance(v, str) and len(f.itemprop_dates) < 20:
                    f.itemprop_dates.append(("datemodified" if itemprop == "datemodified" else "datepublished", v))
            if ci and not in_side and name not in ("html", "body", "article", "main", "a", "img", "time"):
                if len(f.bylines) < 20 and _BYLINE_CLASS.search(ci) and not _NOT_BYLINE_CLASS.search(ci):
                    f.bylines.append(el)
                if len(f.date_els) < 20 and _DATE_CLASS.search(ci) and not re.search(r"update[sd]?-?(?:list|feed)", ci, re.I):
                    f.date_els.append((el, bool(_MODIFIED_CLASS.search(ci)), pos))
        child_article = in_article or name in ("article", "main") or (
            bool(attrs) and (attrs.get("role") == "main" or attrs.get("itemprop") == "articleBody"
                             or bool(ci and _ARTICLE_MARK.search(ci))))
        child_box = in_box or (bool(ci) and name not in ("html", "body", "main") and bool(_SIDE_CLASS.search(ci)))
        child_side = child_box or in_side or (name in ("aside", "nav", "footer") and not in_article)
        for child in reversed(el.contents):
            if isinstance(child, Tag):
                stack.append((child, child_article, child_side, child_box))
    return f


_LD_WRAPPERS = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$|^\s*<!--|-->\s*$")


def _jsonld_objects(scripts: list[str]) -> Iterator[dict]:
    for raw in scripts:
        if not raw or len(raw) > 2_000_000:
            continue
        raw = _LD_WRAPPERS.sub("", raw).strip().rstrip(";")
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        stack = [data]
        budget = 500
        while stack and budget:
            budget -= 1
            obj = stack.pop()
            if isinstance(obj, list):
                stack.extend(reversed(obj))
            elif isinstance(obj, dict):
                if "@graph" in obj:
                    stack.append(obj["@graph"])
                yield obj
                main = obj.get("mainEntity")
                if isinstance(main, (dict, list)):
                    stack.append(main)


def _ld_type(obj: dict) -> set[str]:
    t = obj.get("@type")
    if isinstance(t, str):
        return {t.lower().rsplit("/", 1)[-1]}
    if isinstance(t, list):
        return {x.lower().rsplit("/", 1)[-1] for x in t if isinstance(x, str)}
    return set()


def _ld_people(value: object) -> tuple[list[str], list[str]]:
    """(people's names, organisations' names) of a JSON-LD author value."""
    people: list[str] = []
    orgs: list[str] = []
    items = value if isinstance(value, list) else [value]
    for it in items[:20]:
        if isinstance(it, str):
            people.extend(_split_authors(it))
        elif isinstance(it, dict):
            name = it.get("name")
            if isinstance(name, list):
                name = " and ".join(x for x in name if isinstance(x, str))
            if not isinstance(name, str) and isinstance(it.get("givenName"), str):
                name = f"{it['givenName']} {it.get('familyName') or ''}"
            if isinstance(name, str):
                is_org = bool(_ld_type(it) & {"organization", "newsmediaorganization", "corporation"})
                if is_org:
                    n = " ".join(name.split())
                    if n and len(n) <= 80:
                        orgs.append(n)
                else:
                    people.extend(_split_authors(name))
    return people, orgs


def _ld_text_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [x.strip() for x in re.split(r"[,;|]", value) if x.strip()]
    if isinstance(value, list):
        return [x.strip() for x in value if isinstance(x, str) and x.strip()]
    return []


def _ld_image(value: object) -> str | None:
    for _ in range(5):
        if isinstance(value, list):
            value = value[0] if value else None
        elif isinstance(value, dict):
            value = value.get("url") or value.get("contentUrl") or value.get("@id")
        else:
            break
    return value.strip() if isinstance(value, str) and value.strip() else None


class _LD:
    """The fields of the page's JSON-LD article objects (the first object that has each one wins)."""

    def __init__(self, scripts: list[str]):
        self.headline = self.name = self.published = self.modified = self.site = None
        self.section = self.image = self.lang = None
        self.people: list[str] = []
        self.orgs: list[str] = []
        self.keywords: list[str] = []
        for obj in _jsonld_objects(scripts):
            types = _ld_type(obj)
            if not (types & _ARTICLE_TYPES or any(t.endswith("article") for t in types)):
                continue
            h = obj.get("headline")
            if self.headline is None and isinstance(h, str) and h.strip():
                self.headline = " ".join(html_lib.unescape(h).split())
            n = obj.get("name")
            if self.name is None and isinstance(n, str) and n.strip():
                self.name = " ".join(html_lib.unescape(n).split())
            if self.published is None:
                self.published = _iso_date(obj.get("datePublished")) or _iso_date(obj.get("dateCreated"))
            if self.modified is None:
                self.modified = _iso_date(obj.get("dateModified"))
            if not self.people and obj.get("author"):
                people, orgs = _ld_people(obj.get("author"))
                self.people = people
                self.orgs = self.orgs or orgs
            if not self.people and not self.orgs and obj.get("creator"):
                self.people, self.orgs = _ld_people(obj.get("creator"))
            pub = obj.get("publisher")
            if self.site is None and isinstance(pub, dict) and isinstance(pub.get("name"), str) and pub["name"].strip():
                self.site = " ".join(pub["name"].split())
            if self.section is None:
                sec = _ld_text_list(obj.get("articleSection"))
                self.section = sec[0] if sec else None
            if not self.keywords:
                self.keywords = _ld_text_list(obj.get("keywords"))
            if self.image is None:
                self.image = _ld_image(obj.get("image")) or _ld_image(obj.get("thumbnailUrl"))
            if self.lang is None and isinstance(obj.get("inLanguage"), str):
                self.lang = obj["inLanguage"]


# --- titles -----------------------------------------------------------------------------------------

_SUFFIX_SEPS = (" | ", " -- ", " - ", " – ", " — ", " :: ", " « ", " » ", " · ", " • ", " / ", " : ", " _ ", " ｜ ")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _compact(s: str) -> str:
    return re.sub(r"[\W_]+", "", s.casefold())


def _domain_label(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url).hostname if "//" in url else None
    if not host:
        return None
    parts = [p for p in host.lower().split(".") if p not in ("www", "m", "amp", "mobile", "edition")]
    if len(parts) >= 3 and parts[-2] in ("co", "com", "org", "net", "ac", "gov", "ne", "or"):
        parts = parts[:-2]
    elif len(parts) >= 2:
        parts = parts[:-1]
    return parts[-1] if parts and len(parts[-1]) >= 3 else None


def _is_site(segment: str, sites: list[str], label: str | None) -> bool:
    c = _compact(segment)
    if not c:
        return False
    if any(c == _compact(s) for s in sites if s):
        return True
    if not label or len(c) > 30:
        return False
    if c.startswith(label):  # "Example", "Example News", "LWN.net" for example.com / lwn.net
        rest = c[len(label):]
        return len(rest) <= 10 and not any(ch.isdigit() for ch in rest)
    return len(c) >= 4 and label.startswith(c)


def _strip_site_suffix(title: str, sites: list[str], label: str | None = None) -> str:
    """Drop " | Site" suffixes (and "Site: " prefixes) naming the site; then a short " | Section" tail."""
    title = " ".join(title.split())
    for _ in range(3):
        changed = False
        for sep in _SUFFIX_SEPS:
            head, s, tail = title.rpartition(sep)
            if s and head.strip() and _is_site(tail, sites, label) and len(head) >= 8:
                title, changed = head.strip(), True
                break
        if not changed:
            for sep in _SUFFIX_SEPS + (": ",):
                lead, s2, rest = title.partition(sep)
                if s2 and rest.strip() and _is_site(lead, sites, label) and len(rest) >= 8:
                    title, changed = rest.strip(), True
                    break
        if not changed:  # "Title-Site", "Title：Site" (no spaces, common in CJK titles)
            m = re.match(r"^(.*\S)\s*[_|｜\-–—:：]\s*([^_|｜\-–—:：]{1,30})$", title)
            if m and len(m.group(1)) >= 8 and (
                _is_site(m.group(2), sites, label)
                or (_CJK.search(m.group(1)) and _CJK.search(m.group(2)) and len(m.group(2)) <= 14
                    and len(m.group(1)) >= 2 * len(m.group(2)))):
                title, changed = m.group(1).strip(), True
        if not changed:
            break
    title = _DANGLING_SEP.sub("", title)
    head, sep, tail = title.rpartition(" | ")
    if sep and len(tail.split()) <= 3 and len(head.split()) >= 3:
        return head.strip()
    head, sep, tail = title.partition(" | ")
    if sep and len(head.split()) <= 2 and len(tail.split()) >= 4:  # "Opinion | Title"
        return tail.strip()
    return title


def _title_from_title_tag(title: str, sites: list[str], label: str | None) -> str:
    title = _strip_site_suffix(title, sites, label)
    parts = _TITLE_SEP.split(title)
    if len(parts) > 1:
        first = parts[0].strip()
        if len(first.split()) >= 3:
            return first
        longest = max(parts, key=len).strip()
        if len(longest.split()) >= 3:
            return longest
    return title


_CJK_PUNCT_SPACE = re.compile(r"\s*([：（）「」『』【】、。！？])\s*")
_DANGLING_SEP = re.compile(r"(?:\s+[|\-–—:·/»«])+$")


def _clean_title(t: object) -> str | None:
    if not isinstance(t, str):
        return None
    t = " ".join(html_lib.unescape(t).split()) if "&" in t else " ".join(t.split())
    t = _DANGLING_SEP.sub("", t)  # "Headline -" (a site name left out of a template)
    t = _CJK_PUNCT_SPACE.sub(r"\1", t)  # "見出し ： 副題" -> "見出し：副題"
    return t if t and len(t) <= 500 else None


def _is_headline(h: str) -> bool:
    words = h.split()
    return len(words) >= 4 and len(h) <= 250 or (len(h) >= 8 and bool(_CJK.search(h)) and len(h) <= 120)


def _title_words(s: str) -> set[str]:
    return set(re.findall(r"\w+", s.casefold())) if not _CJK.search(s) else set(s.replace(" ", ""))


def _shares_words(h: str, others: list[str], share: float = 0.3) -> bool:
    """Whether at least ``share`` of the headline's words (CJK: characters) occur in one of ``others``."""
    hw = _title_words(h)
    return bool(hw) and any(len(hw & _title_words(o)) >= share * len(hw) for o in others if o)


def _choose_title(cands: list[tuple[str, str]], h1s: list[str], tag_title: str | None,
                  sites: list[str], label: str | None) -> tuple[str | None, str | None]:
    """The title, preferring one that two places agree on: og:title / JSON-LD headline / <h1>."""
    strong = [(_strip_site_suffix(t, sites, label), src) for t, src in cands]
    strong = [(t, src) for t, src in strong if t]
    h1_keys = {_norm_key(h) for h in h1s if h}
    h1_keys.discard("")
    for t, src in strong:  # a meta title the page's headline confirms
        if _norm_key(t) in h1_keys:
            return t, src
    for t, src in strong:  # an <h1> that is a meta title plus a byline or the site's name
        k = _norm_key(t)
        if len(k) >= 12 and any(h.startswith(k) for h in h1_keys):
            return t, src
    if strong and len(h1s) == 1 and _is_headline(h1s[0]) and _shares_words(h1s[0], [t for t, _ in cands] + [tag_title or ""]):
        # One visible headline that no meta title repeats: meta titles are often the SEO or social
        # variant ("Pic" for "Photo", a keyword prefix); readers see the <h1>.
        return h1s[0], "h1"
    for i, (t, src) in enumerate(strong):  # two meta titles that agree
        k = _norm_key(t)
        if any(_norm_key(u) == k for u, _ in strong[i + 1:]):
            return t, src
    if strong:
        return strong[0]
    tag = _title_from_title_tag(tag_title, sites, label) if tag_title else None
    if tag_title:
        tag_key, main_key = _norm_key(tag_title), _norm_key(tag or "")
        for h in h1s:
            # The <h1> that the <title> starts with or is (a logo <h1> matches only the title's site part).
            k = _norm_key(h) if h else ""
            long_enough = len(k.split()) >= 2 or (len(k) >= 6 and bool(_CJK.search(k)))
            if k and (k == main_key or (tag_key.startswith(k) and long_enough) or (main_key and main_key in k)):
                return h, "h1"
    if tag:
        return tag, "title"
    if h1s and h1s[0]:
        return h1s[0], "h1"
    return None, None


# --- images and URLs -----------------------------------------------------------------------------

_SMALL_IMG = re.compile(r"logo|icon|sprite|avatar|pixel|spacer|blank|badge|button|1x1|gravatar|emoji|"
                        r"placeholder|loading|lazy[-_]?load|transparent|tracking|headshot|author", re.I)


def _abs_url(value: object, base: str | None) -> str | None:
    if not isinstance(value, str):
        return None
    v = value.strip().replace("&amp;", "&")  # a CMS that escaped the URL twice
    if not v or v.startswith(("data:", "javascript:", "about:", "blob:")) or len(v) > 2000 or any(c.isspace() for c in v):
        return None
    if base:
        try:
            v = urljoin(base, v)
        except ValueError:
            return None
    elif v.startswith("//"):
        v = "https:" + v
    return v if re.match(r"^https?://[^/\s]", v, re.I) else None  # only absolute http(s) URLs


def _int_attr(v: object) -> int | None:
    if isinstance(v, str):
        m = re.match(r"^\s*(\d{1,5})(?:px)?\s*$", v)
        if m:
            return int(m.group(1))
    return None


def _img_src(img: Tag) -> str | None:
    for attr in ("src", "data-src", "data-lazy-src", "data-original", "data-url", "data-hi-res-src"):
        v = img.get(attr)
        if isinstance(v, str) and v.strip() and not v.strip().startswith("data:"):
            return v.strip()
    srcset = img.get("srcset") or img.get("data-srcset")
    if isinstance(srcset, str) and srcset.strip():
        first = srcset.strip().split(",")[0].strip().split(" ")[0]
        if first and not first.startswith("data:"):
            return first
    return None


def _img_src_in(content: list[Tag], dropped: set[int], stats: dict[int, list]) -> str | None:
    """The first large image in the article text (no logos, icons or tracking pixels)."""
    budget = 5000
    for top in content:
        stack = [top]
        while stack and budget:
            budget -= 1
            el = stack.pop()
            if id(el) in dropped:
                continue
            if el.name == "img":
                src = _img_src(el)
                if not src or _SMALL_IMG.search(src) or _SMALL_IMG.search(_class_id(el)):
                    continue
                w, h = _int_attr(el.get("width")), _int_attr(el.get("height"))
                if (w is not None and w < 200) or (h is not None and h < 120):
                    continue
                return src
            for child in reversed(el.contents):
                if isinstance(child, Tag) and child.name not in _DROP_TAGS:
                    stack.append(child)
    return None


# --- near the headline --------------------------------------------------------------------------------


def _lines_after(el: Tag, max_chars: int = 600, max_lines: int = 12) -> list[str]:
    """The text lines that follow `el` in the page (a few hundred characters), split at blocks."""
    lines: list[str] = []
    buf: list[str] = []
    total = 0
    end = el.next_sibling  # skip the element's own text
    node = el
    while end is None and isinstance(node.parent, Tag):
        node = node.parent
        end = node.next_sibling
    steps = 0
    cur = end
    while cur is not None and steps < 3000 and total < max_chars and len(lines) < max_lines:
        steps += 1
        if isinstance(cur, Tag):
            if cur.name in _BLOCK_TAGS or cur.name == "time":
                s = " ".join("".join(buf).split())
                if s:
                    lines.append(s)
                buf = []
            if cur.name in ("script", "style", "noscript", "template", "svg", "button", "select", "figcaption"):
                cur = _next_after(cur)  # skip its subtree
                continue
        elif isinstance(cur, NavigableString) and not isinstance(cur, _SKIP_STRINGS):
            buf.append(str(cur))
            total += len(cur)
        cur = cur.next_element
    s = " ".join("".join(buf).split())
    if s:
        lines.append(s)
    return lines


def _next_after(el: Tag) -> object:
    node = el
    while node is not None:
        if node.next_sibling is not None:
            return node.next_sibling
        node = node.parent
    return None


_BYLINE_TEXT = re.compile(r"^(?:(?i:written|words|story|reporting|text)\s+)?(?i:by|von|par|por|door)(?:\s*:?\s+|(?=[A-Z]))(\S.{1,150})$")


def _byline_from_lines(lines: list[str]) -> list[str]:
    for line in lines[:8]:
        m = _BYLINE_TEXT.match(line)
        if m and len(line.split()) <= 20:
            names = _split_authors(line)
            if names:
                return names
    return []


def _names_of_group(els: list[Tag]) -> list[str]:
    """Names from author elements: the first one and those next to it (not the related stories' authors)."""
    if not els:
        return []
    first = els[0]
    group = first.parent.parent if first.parent is not None and first.parent.parent is not None else first.parent
    names: list[str] = []
    for el in els:
        if el is not first and group is not None and not _is_inside(el, group):
            continue
        if el.name == "meta":
            txt = el.get("content")
        elif el.name == "link":
            continue
        else:
            name_el = el.find(attrs={"itemprop": "name"}) if el.name != "a" else None
            if name_el is not None:
                txt = name_el.get("content") if name_el.name == "meta" else name_el.get_text(" ")
            else:
                txt = el.get_text(" ")
        if isinstance(txt, str) and len(txt) < 150:
            names.extend(_split_authors(txt))
    return names


# --- the metadata of one page ----------------------------------------------------------------------


def _metadata(soup: BeautifulSoup, url: str | None, ld_scripts: Iterable[str] = ()) -> dict:
    """The page's metadata fields, plus "_src" (field -> where it came from) and "_base" (for URLs)."""
    f = _scan(soup)
    metas: dict[str, str] = {}
    meta_authors: list[tuple[str, str]] = []
    meta_tags: list[str] = []
    for k, v in f.metas:
        metas.setdefault(k, v)
        if k in _AUTHOR_META_KEYS:
            meta_authors.append((k, v))
        elif k in ("article:tag", "og:article:tag"):
            meta_tags.append(v)
    # Twitter's label/data pairs: twitter:label1 "Written by", twitter:data1 "Ann Lee". Often the CMS user
    # who posted the story, so only a last resort after the visible byline.
    twitter_by = ""
    for i in range(1, 5):
        label = metas.get(f"twitter:label{i}", "").strip(" :").lower()
        if label in ("written by", "author", "authors", "by") and metas.get(f"twitter:data{i}"):
            twitter_by = metas[f"twitter:data{i}"]
            break
    ld = _LD(list(ld_scripts) + [t.string or t.get_text() for t in f.ld])
    src: dict[str, str] = {}
    out: dict = {}

    # Canonical URL and the base that relative URLs resolve against.
    base = url
    if f.base:
        base = _abs_url(f.base, url) or base
    canonical = _link_href(f.links, "canonical", base)
    csrc = "link" if canonical else None
    if not canonical and metas.get("og:url"):
        canonical, csrc = _abs_url(metas["og:url"], base), "og"
    if canonical and url and "//" in canonical and urlsplit(canonical).path in ("", "/") \
            and urlsplit(url).path not in ("", "/"):
        canonical = None  # a canonical that points at the home page is a template bug
    if not canonical and url:
        canonical, csrc = url, "url"
    out["canonical_url"] = canonical
    if canonical:
        src["canonical_url"] = csrc
    base = base or canonical

    # Site name.
    site, ssrc = metas.get("og:site_name"), "og"
    if not site and ld.site:
        site, ssrc = ld.site, "json-ld"
    if not site:
        for k in ("application-name", "apple-mobile-web-app-title", "al:ios:app_name"):
            if metas.get(k):
                site, ssrc = metas[k], "meta"
                break
    site = " ".join(site.split()) if site else None
    out["site_name"] = site
    if site:
        src["site_name"] = ssrc

    # Title.
    label = _domain_label(url) or _domain_label(canonical)
    sites = [s for s in (site, ld.site, metas.get("application-name"),
                         (metas.get("twitter:site") or "").lstrip("@")) if s]
    cands: list[tuple[str, str]] = []
    for value, where in ((metas.get("og:title"), "og"), (ld.headline, "json-ld"),
                         (ld.name, "json-ld"), (metas.get("twitter:title"), "twitter"),
                         (next((metas[k] for k in _TITLE_META_KEYS if metas.get(k)), None), "meta")):
        t = _clean_title(value)
        if t:
            cands.append((t, where))
    h1_els = [el for el, side, _ in f.h1 if not side][:5] or [el for el, _, _ in f.h1][:1]
    h1_pos = {id(el): p for el, _, p in f.h1}
    h1s = [_clean_title(el.get_text(" ").rstrip(" ¶§#🔗")) or "" for el in h1_els]
    tag_title = _clean_title(f.title.get_text(" ")) if f.title is not None else None
    title, tsrc = _choose_title(cands, h1s, tag_title, sites, label)
    out["title"] = title
    if title:
        src["title"] = tsrc
    # The headline element, for the byline and date written next to it.
    headline_el = None
    if h1_els:
        key = _norm_key(title) if title else None
        headline_el = next((el for el, h in zip(h1_els, h1s) if key and _norm_key(h) == key), h1_els[0])
    near: list[str] | None = None

    def near_lines() -> list[str]:
        nonlocal near
        if near is None:
            near = _lines_after(headline_el) if headline_el is not None else []
        return near

    # Authors: the first place that names people; an outlet's own name only when nothing else does.
    outlets = sites + ld.orgs

    def people(names: list[str]) -> list[str]:
        return [n for n in names if not _is_site(n, outlets, label)]

    def from_metas() -> list[str]:
        ranked = sorted(meta_authors, key=lambda kv: _AUTHOR_META_ORDER.index(kv[0]) if kv[0] in _AUTHOR_META_ORDER else 99)
        first: list[str] = []
        for _, v in ranked:
            names = _split_authors(v)
            if people(names):
                return names
            first = first or names
        return first

    def from_bylines() -> list[str]:
        for el in f.bylines:
            txt = " ".join(el.get_text(" ").split())
            # Blocks inside the byline ("By Ann Lee" / "Washington Post" / a time): the "By ..." one alone.
            blocks = [" ".join(b.get_text(" ").split()) for b in el.find_all(("div", "p", "li"), limit=10)
                      if b.find(("div", "p", "li")) is None]
            by = [b for b in blocks if re.match(r"by\s", b, re.I)]
            if len(blocks) >= 2 and len(by) == 1:
                txt = by[0]
            if 0 < len(txt) < 150:
                names = _split_authors(txt)
                if people(names):
                    return names
        return []

    def from_links() -> list[str]:
        # Links to author pages count inside the article, or when the headline's byline shows them.
        near_text = " ".join(near_lines())
        links = [a for a, in_article in f.author_links
                 if in_article or (a.get_text(" ").strip() and " ".join(a.get_text(" ").split()) in near_text)]
        return _names_of_group(links)

    authors: list[str] = []
    asrc = None
    fallback: tuple[list[str], str] | None = None
    for where, get in (("json-ld", lambda: ld.people), ("meta", from_metas),
                       ("rel-author", lambda: _names_of_group(f.rel_authors)), ("byline", from_bylines),
                       ("rel-author", from_links), ("text", lambda: _byline_from_lines(near_lines())),
                       ("meta", lambda: _split_authors(twitter_by))):
        names = get()
        if not names:
            continue
        if people(names):
            authors, asrc = people(names), where
            break
        if fallback is None:
            fallback = (names, where)
    if not authors and fallback:
        authors, asrc = fallback
    if not authors and ld.orgs:
        authors, asrc = ld.orgs[:3], "json-ld"
    out["authors"] = _final_authors(authors)
    if out["authors"]:
        src["authors"] = asrc

    # Publication and modification dates.
    published, psrc = _structured_date(ld.published, metas, _DATE_META_KEYS, f.itemprop_dates, "datepublished")
    times = [(t, art, side) for t, art, side in f.times if not side] or f.times

    def time_rank(item: tuple[Tag, bool, bool]) -> int:
        t, art, _ = item
        ci = _class_id(t)
        if t.get("pubdate") is not None or t.get("itemprop") == "datePublished" or re.search(r"publish|posted", ci, re.I):
            return 0
        if _MODIFIED_CLASS.search(ci) or t.get("itemprop") == "dateModified":
            return 3
        return 1 if art else 2

    def time_value(t: Tag) -> str | None:
        v = t.get("datetime")
        if isinstance(v, str) and v.strip():
            return _iso_date(v)
        return _iso_date(" ".join(t.get_text(" ").split())[:100])

    if not published:
        for t, _, _ in sorted(times, key=time_rank):
            if time_rank((t, False, False)) == 3:
                continue
            d = time_value(t)
            if d:
                published, psrc = d, "time"
                break
    if not published:
        d = _date_from_url(url) or _date_from_url(canonical)
        if d:
            published, psrc = d, "url"
    # A date written next to the headline: in an element whose class says date (after the headline
    # first: one above it is often the site header's "today"), else in the lines below the headline.
    after = h1_pos.get(id(headline_el), 0) if headline_el is not None else 0
    date_els = [x for x in f.date_els if x[2] > after] + [x for x in f.date_els if x[2] <= after]
    if not published:
        for el, modified, _ in date_els:
            if modified:
                continue
            d = None
            for attr in ("datetime", "content", "title", "data-date", "data-published", "data-timestamp", "data-time"):
                v = el.get(attr)
                if isinstance(v, str) and _ISO_DT.match(v.strip()):
                    d = _iso_date(v)
                    if d:
                        break
            txt = None if d else " ".join(el.get_text(" ").split())[:200]
            d = d or (_date_in_text(txt) if txt else None)
            if d:
                published, psrc = d, "text"
                break
    if not published:
        for line in near_lines()[:8]:
            if len(line) > 300:
                break  # the article text has begun
            if re.search(r"\b(?:updated|modified)\b", line, re.I) and not re.search(r"\b(?:published|posted)\b", line, re.I):
                continue
            d = _date_in_text(line)
            if d:
                published, psrc = d, "text"
                break
    out["published"] = published
    out["published_source"] = psrc if published else None
    if published:
        src["published"] = psrc

    modified, msrc = _structured_date(ld.modified, metas, _MODIFIED_META_KEYS, f.itemprop_dates, "datemodified")
    if not modified:
        for t, _, _ in times:
            if time_rank((t, False, False)) == 3:
                d = time_value(t)
                if d:
                    modified, msrc = d, "time"
                    break
    out["modified"] = modified
    if modified:
        src["modified"] = msrc

    # Language.
    lang, lsrc = None, None
    if soup.html is not None:
        lang, lsrc = _language(soup.html.get("lang") or soup.html.get("xml:lang")), "html"
    for value, where in ((metas.get("content-language"), "meta"), (metas.get("og:locale"), "og"),
                         (ld.lang, "json-ld"), (metas.get("language"), "meta"), (metas.get("dc.language"), "meta")):
        if lang:
            break
        lang, lsrc = _language(value), where
    out["language"] = lang
    if lang:
        src["language"] = lsrc

    # Section and tags.
    section, secsrc = None, None
    for value, where in [(metas.get(k), "meta") for k in _SECTION_META_KEYS[:2]] + [(ld.section, "json-ld")] + \
            [(metas.get(k), "meta") for k in _SECTION_META_KEYS[2:]]:
        if isinstance(value, str) and value.strip() and not _looks_like_url(value) and len(value) <= 100:
            section, secsrc = value, where
            break
    section = " ".join(section.split())[:100] if section else None
    out["section"] = section or None
    if section:
        src["section"] = secsrc
    tags, tagsrc = [], None
    if meta_tags:
        tags, tagsrc = [t for v in meta_tags for t in _ld_text_list(v)], "meta"
    if not tags and ld.keywords:
        tags, tagsrc = ld.keywords, "json-ld"
    if not tags:
        for k in _TAG_META_KEYS:
            if metas.get(k):
                tags, tagsrc = _ld_text_list(metas[k]), "meta"
                break
    if not tags and metas.get("keywords"):
        tags, tagsrc = _ld_text_list(metas["keywords"]), "meta-keywords"
    tags = [" ".join(t.split()) for t in tags if 0 < len(t.strip()) <= 60]
    out["tags"] = _dedupe(tags)[:30]
    if out["tags"]:
        src["tags"] = tagsrc

    # Lead image (the article's own first large image is looked for after extraction).
    image, isrc = None, None
    for k, where in _IMAGE_META_KEYS:
        image = _abs_url(metas.get(k), base)
        if image:
            isrc = where
            break
    if not image and ld.image:
        image, isrc = _abs_url(ld.image, base), "json-ld"
    if not image:
        image = _link_href(f.links, "image_src", base)
        isrc = "link" if image else isrc
    if not image and metas.get("image"):
        image, isrc = _abs_url(metas["image"], base), "meta"
    out["image_url"] = image
    if image:
        src["image_url"] = isrc
    out["_base"] = base
    out["_src"] = src
    return out


_FIELD_ORDER = ("title", "authors", "published", "modified", "canonical_url", "site_name", "language",
                "section", "tags", "image_url")


def _field_sources(src: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple((k, src[k]) for k in _FIELD_ORDER if src.get(k))


def clean_html(html: str, url: str | None = None) -> Cleaned:
    """The article's own text and metadata from an HTML page. Never raises on malformed input."""
    if not isinstance(html, str):
        html = str(html)
    if _SURROGATE.search(html):  # lone surrogates cannot be encoded for lxml
        html = _SURROGATE.sub("\ufffd", html)
    html, ld_scripts = _drop_scripts(html)
    try:
        with warnings.catch_warnings():
            # Feeds' XHTML and one-line fragments are fine to parse as HTML; bs4 would warn about them.
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            soup = BeautifulSoup(html, "lxml", multi_valued_attributes=None)
    except RecursionError:
        return _flat_cleaned(html, url)
    try:
        try:
            meta = _metadata(soup, url, ld_scripts)
        except RecursionError:
            meta = {"canonical_url": url, "_src": {"canonical_url": "url"} if url else {}}
        src = meta.pop("_src")
        base = meta.pop("_base", url)
        try:
            root = soup.body if soup.body is not None else soup
            ex = _Extractor(root, meta.get("title"), meta.get("authors") or ())
            text = ex.run()
            if not meta.get("authors") and ex.byline:
                meta["authors"] = _final_authors(ex.byline)
                src["authors"] = "text"
            if not meta.get("image_url") and ex.image:
                image = _abs_url(ex.image, base)
                if image:
                    meta["image_url"] = image
                    src["image_url"] = "img"
        except RecursionError:
            text = _flat_text(html)
    finally:
        soup.decompose()
    return Cleaned(text=text, field_sources=_field_sources(src), **meta)


_SURROGATE = re.compile("[\ud800-\udfff]")
_SCRIPT_OR_COMMENT = re.compile(r"<!--|<script\b", re.I)
_SCRIPT_END = re.compile(r"</script\s*>", re.I)
_LD_OPEN = re.compile(r"<script\b[^>]*ld\+json", re.I)


_SCRIPT_OPEN = re.compile(r"<script\b", re.I)


def _scrub_comment(comment: str) -> str:
    """A comment without the scripts written in it (a comment inside raw text, such as <xmp>, is shown)."""
    if not _SCRIPT_OPEN.search(comment):
        return comment
    pieces: list[str] = []
    p = 0
    while True:
        m = _SCRIPT_OPEN.search(comment, p)
        if m is None:
            break
        e = _SCRIPT_END.search(comment, m.end())
        if e is None:  # no script ends after this one: neutralise the rest's openings
            pieces.append(comment[p : m.start()])
            pieces.append(_SCRIPT_OPEN.sub("<_script", comment[m.start() :]))
            p = len(comment)
            break
        pieces.append(comment[p : m.start()])
        p = e.end()
    pieces.append(comment[p:])
    return "".join(pieces)


def _drop_scripts(markup: str) -> tuple[str, list[str]]:
    """The markup without its <script> elements, and the JSON-LD scripts' contents, in one linear scan.

    Wherever a script sits (in a comment-like CDATA section, an <xmp>, a <title>, or cut off at the end
    of a truncated page), its code can then never reach the text. Comments are handled on their own,
    so a "<script>" written inside one does not swallow the page up to a later script's end.
    """
    ld: list[str] = []
    if "<script" not in markup and "<SCRIPT" not in markup and not re.search(r"<script", markup, re.I):
        return markup, ld
    out: list[str] = []
    pos = 0
    n = len(markup)
    while pos < n:
        m = _SCRIPT_OR_COMMENT.search(markup, pos)
        if m is None:
            break
        if m.group(0) == "<!--":
            end = markup.find("-->", m.end())
            end = n if end < 0 else end + 3
            out.append(markup[pos : m.start()])
            out.append(_scrub_comment(markup[m.start() : end]))
            pos = end
            continue
        end = _SCRIPT_END.search(markup, m.end())
        stop = end.end() if end else n
        if len(ld) < 20 and _LD_OPEN.match(markup, m.start(), min(stop, m.start() + 300)):
            open_end = markup.find(">", m.end())
            if 0 <= open_end < (end.start() if end else n):
                ld.append(markup[open_end + 1 : end.start() if end else n])
        out.append(markup[pos : m.start()])
        out.append(" ")
        pos = stop
    out.append(markup[pos:])
    return "".join(out), ld


def _flat_cleaned(html: str, url: str | None) -> Cleaned:
    d = _date_from_url(url)
    src = {"canonical_url": "url"} if url else {}
    if d:
        src["published"] = "url"
    return Cleaned(text=_flat_text(html), canonical_url=url, published=d, published_source="url" if d else None,
                   field_sources=_field_sources(src))


# ---------------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------------


def _word_chars(text: str) -> int:
    return sum(len(w) for w in re.findall(r"\w+", text))


_SCRIPT_BODY = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.I | re.S)
_FRAME = re.compile(r"<i?frame\b[^>]*\bsrc\s*=\s*[\"']?([^\"'\s>]+)", re.I)
_REFRESH = re.compile(r"<meta\b[^>]*http-equiv\s*=\s*[\"']?refresh[^>]*>", re.I)
_REFRESH_URL = re.compile(r"url\s*=\s*[\"']?([^\"'\s>]+)", re.I)
_APP_ROOT = re.compile(r"<(?:div|main|body)\b[^>]*\bid\s*=\s*[\"']?(?:root|app|__next|__nuxt|main-app|svelte|ember\w*)\b", re.I)
_NEEDS_JS = re.compile(r"(?:enable|turn on|requires?|need)\s+(?:to\s+enable\s+)?javascript|javascript (?:is )?(?:required|disabled)", re.I)


def _why_no_text(markup: str) -> str:
    """What an HTML page without article text is instead: a JavaScript shell, a frameset, a redirect."""
    head = markup[:200_000]
    if re.search(r"<frameset\b", head, re.I):
        frames = _FRAME.findall(head)[:3]
        where = f" ({', '.join(frames)})" if frames else ""
        return f"it is a frameset: its content is in other documents{where}, not in this page"
    refresh = _REFRESH.search(head)
    if refresh:
        m = _REFRESH_URL.search(refresh.group(0))
        if m:
            return f"it only redirects (meta refresh) to {m.group(1)[:200]}"
    script_chars = 0
    scripts = 0
    for m in _SCRIPT_BODY.finditer(markup):
        scripts += 1
        script_chars += len(m.group(1))
    scripts = max(scripts, len(re.findall(r"<script\b", markup[:2_000_000], re.I)))
    if scripts and (_APP_ROOT.search(head) or _NEEDS_JS.search(head) or script_chars > 0.5 * len(markup)):
        size = f", {script_chars / 1024:.0f} KB of inline script" if script_chars >= 1024 else ""
        return (f"it looks like a JavaScript application shell ({scripts} script{'s' if scripts != 1 else ''}{size}): "
                "its text is rendered in the browser, and the HTML itself holds none")
    return ""


def clean_document(raw: RawDocument) -> Article:
    """Decode and clean one raw document into an Article, or raise BadDocument.

    Metadata the page does not give comes from the source (feed entry, sidecar, JSONL record),
    recorded as "source" in ``field_sources``.
    """
    text = decode_body(raw.body, raw.kind, raw.encoding)
    cleaned = clean_html(text, raw.url) if raw.kind == "html" else clean_text(text)
    n = _word_chars(cleaned.text)
    if n < MIN_TEXT_CHARS:
        what = "no article text" if n == 0 else f"only {n} characters of article text"
        why = _why_no_text(text) if raw.kind == "html" else ""
        why = f": {why}" if why else ""
        raise BadDocument("no-text", f"The document has {what} after cleaning (need at least {MIN_TEXT_CHARS}){why}.")
    src = dict(cleaned.field_sources)
    published, published_source = cleaned.published, cleaned.published_source
    # The page's own date wins; the feed/sidecar date beats nothing and beats a date guessed from the URL.
    if raw.published and (not published or (published_source == "url" and not raw.published_is_fetch_time)):
        published = _iso_date(raw.published) or raw.published
        published_source = "fetch-time" if raw.published_is_fetch_time else "source"
    if published:
        src["published"] = published_source or "source"
    else:
        src.pop("published", None)
    title, authors, modified = cleaned.title, cleaned.authors, cleaned.modified
    if not title and raw.title:
        title, src["title"] = raw.title, "source"
    if not authors and raw.authors:
        authors, src["authors"] = tuple(raw.authors), "source"
    if not modified and raw.entry_updated:
        modified = _iso_date(raw.entry_updated) or raw.entry_updated
        src["modified"] = "source"
    canonical = cleaned.canonical_url
    if not canonical and raw.url:
        canonical, src["canonical_url"] = raw.url, "source"
    return Article(
        article_id=raw.raw_id,
        raw_id=raw.raw_id,
        source=raw.source,
        url=raw.url,
        canonical_url=canonical,
        title=title,
        authors=authors,
        published=published,
        published_source=published_source if published else None,
        language=cleaned.language,
        site_name=cleaned.site_name,
        text=cleaned.text,
        modified=modified,
        section=cleaned.section,
        tags=cleaned.tags,
        image_url=cleaned.image_url,
        field_sources=_field_sources(src),
    )


def clean_documents(raws: Iterable[RawDocument]) -> tuple[list[Article], list[Failure]]:
    """Clean a batch; a bad document becomes a Failure and never stops the batch."""
    articles: list[Article] = []
    failures: list[Failure] = []
    for raw in raws:
        try:
            articles.append(clean_document(raw))
        except BadDocument as e:
            failures.append(Failure.of(raw.source, raw.locator, "clean", e.reason, e.detail))
        except Exception as e:  # noqa: BLE001 - one broken document must not stop the run
            failures.append(
                Failure.of(raw.source, raw.locator, "clean", "clean-error",
                           f"Cleaning failed unexpectedly: {type(e).__name__}: {e}")
            )
    return articles, failures


# ---------------------------------------------------------------------------------------------
# Prefect wrapper
# ---------------------------------------------------------------------------------------------


@task(name="clean", cache_policy=NO_CACHE)
def clean_task(raws: Iterable[RawDocument]) -> tuple[list[Article], list[Failure]]:
    """Clean a batch of raw documents (deterministic, CPU-bound: no retries)."""
    articles, failures = clean_documents(raws)
    run_logger().info("clean: %d articles, %d failures", len(articles), len(failures))
    return articles, failures
