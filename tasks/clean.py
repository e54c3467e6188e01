"""Cleaning: a raw document's bytes become the article's own text plus its metadata.

Pure core first (``decode_body``, ``clean_html``, ``clean_text``, ``clean_document``,
``clean_documents``), the Prefect task wrapper last.

HTML cleaning is a generic, readability-style main-content extractor (no per-site rules):

1. hard drops: scripts, styles, navigation, header/footer, asides, forms' controls, captions,
   hidden elements, and (first attempt) containers whose class/id says nav/comment/related/...;
2. scoring: every paragraph-like block gives points (1 + commas + length) to its parent and,
   decaying, to its ancestors; a container's score is scaled by (1 - link density);
3. the best container plus its good siblings is the article; inside it, tables/lists/divs that
   look like link lists, galleries or widgets are removed ("clean conditionally");
4. the kept tree is flattened into paragraphs joined by "\\n\\n", and the same line-level
   boilerplate filter as for plain text (captions, promo lines, agency credits) runs over them.

All per-node statistics are computed bottom-up in one pass, so the work is linear in the size of
the tree. The tree is never mutated: removals are recorded in a set of node ids, which lets the
extractor retry with looser settings (like readability) without parsing the page again.
"""

from __future__ import annotations

import codecs
import html as html_lib
import json
import re
import warnings
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Iterable, Iterator

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


def _is_promo(line: str) -> bool:
    n = len(line.split())
    if line.startswith(("[", "(")) and line.endswith(("]", ")")):
        line = line[1:-1].strip()  # "[Read: ...]", "(Related: ...)"
    if n <= 25 and (_PROMO_START.match(line) or _LABEL_LINE.match(line)):
        return True
    if n <= 25 and _PROMO_ANY.search(line):
        return True
    if n <= 12 and _BYLINE_LINE.match(line):
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
_CH, _CM, _LK, _NP, _NIMG, _NLI, _NIN, _NEMB, _HD, _ICH, _ICM, _BLK = range(12)
_NSTATS = 12


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

    def __init__(self, root: Tag, title: str | None):
        self.root = root
        self.title_key = _norm_key(title) if title else None

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
        if name == "table" and (node.find(["th", "caption"]) is not None or node.get("role") == "grid"):
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
                s = " ".join("".join(buf).split())
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
                        stack.append(" ")
                    for child in reversed(item.contents):
                        stack.append(child)
                elif isinstance(item, NavigableString) and not isinstance(item, _SKIP_STRINGS):
                    buf.append(str(item))
            flush()
        return blocks

    def run(self) -> str:
        best: list[str] = []
        best_len = -1
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
            blocks = self._text(content, dropped, stats)
            if self.title_key:
                blocks = [b for b in blocks if _norm_key(b) != self.title_key]
            blocks = _filter_blocks(blocks)
            n = sum(map(len, blocks))
            if n >= 500:
                return "\n\n".join(blocks)
            if n > best_len:
                best, best_len = blocks, n
        return "\n\n".join(best)


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

_ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "blogposting", "analysisnewsarticle", "webpage",
    "opinionnewsarticle", "backgroundnewsarticle", "report", "scholarlyarticle", "techarticle", "posting",
    "socialmediaposting", "liveblogposting", "creativework",
}
_TITLE_SEP = re.compile(r"\s+(?:\||-|–|—|::|«|»|/|·)\s+")
_MONTHS = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_URL_DATE = re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})(?:/|$|[^\d])")
_DATE_META_KEYS = (
    "article:published_time", "og:article:published_time", "article.published", "datepublished",
    "date", "dc.date", "dc.date.issued", "dcterms.created", "dcterms.date", "pubdate", "publishdate",
    "publish-date", "publish_date", "sailthru.date", "parsely-pub-date", "cxenseparse:recs:publishtime",
    "og:published_time", "published_time", "article_date_original", "originalpublicationdate",
    "datecreated", "creation_date", "displaydate", "citation_publication_date", "citation_date",
)
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b|\bund\b|\bet\b|\by\b|\|)\s*", re.I)
_BY_PREFIX = re.compile(r"^\s*(?:by|written by|words by|von|par|por)\s*[:\-]?\s+", re.I)


def _iso_date(value: str | None) -> str | None:
    """Normalise a date/datetime string to ISO 8601, or None when it cannot be read."""
    if not value or not isinstance(value, str):
        return None
    s = value.strip()
    if not s:
        return None
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}:?\d{2}|[+-]\d{2})?)?", s)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        try:
            day = date(y, mo, d)
        except ValueError:
            return None
        if not 1900 <= y <= 2100:
            return None
        if m.group(4) is None:
            return day.isoformat()
        iso = f"{m.group(1)}-{m.group(2)}-{m.group(3)}T{m.group(4)}:{m.group(5)}:{m.group(6) or '00'}"
        tz = m.group(7)
        if tz:
            if tz == "Z":
                tz = "+00:00"
            elif len(tz) == 3:
                tz += ":00"
            elif ":" not in tz:
                tz = tz[:3] + ":" + tz[3:]
            iso += tz
        try:
            return datetime.fromisoformat(iso).isoformat()
        except ValueError:
            return day.isoformat()
    try:
        dt = parsedate_to_datetime(s)
        if dt is not None and 1900 <= dt.year <= 2100:
            return dt.replace(microsecond=0).isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    low = s.lower()
    m = re.search(r"\b([a-z]{3})[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", low)  # March 10, 2015
    if m and m.group(1) in _MONTHS:
        y, mo, d = int(m.group(3)), _MONTHS[m.group(1)], int(m.group(2))
    else:
        m = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\.?\s+([a-z]{3})[a-z]*\.?,?\s+(\d{4})\b", low)  # 10 March 2015
        if m and m.group(2) in _MONTHS:
            y, mo, d = int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1))
        else:
            m = re.match(r"^(\d{4})/(\d{1,2})/(\d{1,2})\b", s) or re.match(r"^(\d{4})(\d{2})(\d{2})$", s)
            if not m:
                return None
            y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        day = date(y, mo, d)
    except ValueError:
        return None
    return day.isoformat() if 1900 <= y <= 2100 else None


def _date_from_url(url: str | None) -> str | None:
    if not url:
        return None
    m = _URL_DATE.search(url)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def _language(value: str | None) -> str | None:
    if not value or not isinstance(value, str):
        return None
    m = re.match(r"^\s*([A-Za-z]{2,3})(?:$|[-_\s,;])", value)
    return m.group(1).lower() if m else None


def _looks_like_url(s: str) -> bool:
    return bool(re.match(r"^(?:https?:)?//|^www\.", s.strip(), re.I)) or "/" in s.strip()


def _split_authors(value: str) -> list[str]:
    value = " ".join(value.split())
    if not value or _looks_like_url(value):
        return []
    value = _BY_PREFIX.sub("", value)
    out = []
    for part in _AUTHOR_SPLIT.split(value):
        part = _BY_PREFIX.sub("", part).strip(" .:-–—|")
        if not part or "@" in part or _looks_like_url(part):
            continue
        words = part.split()
        if len(words) > 6 or len(part) > 60 or re.search(r"\d", part):
            continue
        out.append(part)
    return out


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    seen = set()
    out = []
    for x in items:
        k = x.lower()
        if k not in seen:
            seen.add(k)
            out.append(x)
    return tuple(out)


_BYLINE_CLASS = re.compile(r"byline|author", re.I)


def _scan(soup: BeautifulSoup) -> dict[str, list[Tag]]:
    """One pass over the tree collecting the elements metadata comes from (find_all is slow)."""
    found: dict[str, list[Tag]] = {k: [] for k in ("meta", "ld", "time", "link", "h1", "author", "byline")}
    for el in soup.descendants:
        if not isinstance(el, Tag):
            continue
        name = el.name
        attrs = el.attrs
        if name == "meta":
            found["meta"].append(el)
        elif name == "script":
            typ = attrs.get("type")
            if isinstance(typ, str) and "ld+json" in typ.lower():
                found["ld"].append(el)
        elif name == "time":
            if len(found["time"]) < 20 and isinstance(attrs.get("datetime"), str):
                found["time"].append(el)
        elif name == "link":
            found["link"].append(el)
        elif name == "h1":
            found["h1"].append(el)
        if not attrs:
            continue
        rel = attrs.get("rel")
        if (name == "a" and rel and "author" in rel) or attrs.get("itemprop") == "author":
            found["author"].append(el)
        cls = attrs.get("class")
        if cls and len(found["byline"]) < 10:
            cls = " ".join(cls) if isinstance(cls, list) else str(cls)
            if _BYLINE_CLASS.search(cls):
                found["byline"].append(el)
    return found


_LD_WRAPPERS = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$|^\s*<!--|-->\s*$")


def _jsonld_objects(scripts: list[Tag]) -> Iterator[dict]:
    for script in scripts:
        raw = script.string or script.get_text()
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
        return {t.lower()}
    if isinstance(t, list):
        return {x.lower() for x in t if isinstance(x, str)}
    return set()


def _ld_names(value: object) -> list[str]:
    out: list[str] = []
    items = value if isinstance(value, list) else [value]
    for it in items[:20]:
        if isinstance(it, str):
            out.extend(_split_authors(it))
        elif isinstance(it, dict):
            name = it.get("name")
            if isinstance(name, str):
                out.extend(_split_authors(name))
            elif isinstance(name, list):
                out.extend(n for x in name if isinstance(x, str) for n in _split_authors(x))
    return out


def _strip_site_suffix(title: str, site_name: str | None) -> str:
    """Drop a " | Site" style suffix: the site name when known, else a short last segment after " | "."""
    title = " ".join(title.split())
    if site_name:
        for sep in (" | ", " - ", " – ", " — ", " :: ", " « ", " » ", " · "):
            if title.endswith(sep + site_name):
                return title[: -len(sep + site_name)].strip()
            if title.startswith(site_name + sep):
                return title[len(site_name + sep) :].strip()
    head, sep, tail = title.rpartition(" | ")
    if sep and len(tail.split()) <= 3 and len(head.split()) >= 3:
        return head.strip()
    return title


def _title_from_title_tag(title: str, site_name: str | None) -> str:
    title = _strip_site_suffix(title, site_name)
    parts = _TITLE_SEP.split(title)
    if len(parts) > 1:
        first = parts[0].strip()
        if len(first.split()) >= 3:
            return first
        longest = max(parts, key=len).strip()
        if len(longest.split()) >= 3:
            return longest
    return title


def _metadata(soup: BeautifulSoup, url: str | None) -> dict:
    found = _scan(soup)
    metas: dict[str, str] = {}
    meta_authors: list[str] = []
    for m in found["meta"]:
        key = m.get("property") or m.get("name") or m.get("itemprop") or m.get("http-equiv")
        content = m.get("content")
        if not isinstance(key, str) or not isinstance(content, str) or not content.strip():
            continue
        for k in key.lower().split():
            metas.setdefault(k, content.strip())
            if k in ("author", "article:author", "dc.creator", "sailthru.author", "parsely-author", "byl"):
                meta_authors.append(content.strip())

    site_name = metas.get("og:site_name")
    title = None
    ld_headline = ld_published = ld_site = None
    ld_authors: list[str] = []
    for obj in _jsonld_objects(found["ld"]):
        types = _ld_type(obj)
        is_article = bool(types & _ARTICLE_TYPES) or any(t.endswith("article") for t in types)
        if not is_article:
            continue
        if ld_headline is None and isinstance(obj.get("headline"), str) and obj["headline"].strip():
            ld_headline = " ".join(obj["headline"].split())
        if ld_published is None:
            ld_published = _iso_date(obj.get("datePublished")) or _iso_date(obj.get("dateCreated"))
        if not ld_authors and obj.get("author"):
            ld_authors = _ld_names(obj.get("author"))
        if ld_site is None and isinstance(obj.get("publisher"), dict):
            n = obj["publisher"].get("name")
            ld_site = n.strip() if isinstance(n, str) and n.strip() else None
    site_name = site_name or ld_site

    og_title = metas.get("og:title") or metas.get("twitter:title")
    if og_title:
        title = _strip_site_suffix(og_title, site_name)
    elif ld_headline:
        title = ld_headline
    else:
        # The page's single <h1>, when the <title> agrees with it (else it may be a logo or a
        # section name); then the <title> without its " | Site" suffix; then any single <h1>.
        h1 = None
        if len(found["h1"]) == 1:
            h1 = " ".join(found["h1"][0].get_text(" ").split()) or None
        tag_title = None
        if soup.title is not None:
            tag_title = " ".join(soup.title.get_text(" ").split()) or None
        if h1 and (not tag_title or _norm_key(h1) in _norm_key(tag_title)):
            title = h1
        elif tag_title:
            title = _title_from_title_tag(tag_title, site_name)
        else:
            title = h1

    # Authors
    authors: list[str] = ld_authors
    if not authors:
        for a in meta_authors:
            authors.extend(_split_authors(a))
    if not authors:
        for el in found["author"][:5]:
            if el.name == "a":
                txt = el.get_text(" ")
            else:
                name = el.find(attrs={"itemprop": "name"})
                src = name if name is not None else el
                txt = src.get("content") if src.name == "meta" else src.get_text(" ")
            if isinstance(txt, str) and len(txt) < 120:
                authors.extend(_split_authors(txt))
    if not authors:
        for el in found["byline"]:
            txt = " ".join(el.get_text(" ").split())
            if 0 < len(txt) < 100:
                authors.extend(_split_authors(txt))
                if authors:
                    break

    # Published date
    published, source = ld_published, "json-ld" if ld_published else None
    if not published:
        for k in _DATE_META_KEYS:
            d = _iso_date(metas.get(k))
            if d:
                published, source = d, "meta"
                break
    if not published:
        ranked = sorted(
            found["time"],
            key=lambda t: 0 if (t.get("pubdate") is not None or t.get("itemprop") == "datePublished"
                                or re.search(r"publish|posted|date", _class_id(t), re.I)) else 1,
        )
        for t in ranked:
            d = _iso_date(t["datetime"])
            if d:
                published, source = d, "time"
                break
    canonical = None
    for link in found["link"]:
        rel = link.get("rel") or []
        if isinstance(rel, str):
            rel = rel.split()
        href = link.get("href")
        if "canonical" in [r.lower() for r in rel] and isinstance(href, str) and href.strip():
            canonical = href.strip()
            break
    canonical = canonical or metas.get("og:url") or url
    if not published:
        d = _date_from_url(canonical) or _date_from_url(url)
        if d:
            published, source = d, "url"

    lang = None
    if soup.html is not None:
        lang = _language(soup.html.get("lang") or soup.html.get("xml:lang"))
    lang = lang or _language(metas.get("og:locale")) or _language(metas.get("content-language")) \
        or _language(metas.get("language")) or _language(metas.get("dc.language"))

    return {
        "title": title or None,
        "authors": _dedupe(authors),
        "published": published,
        "published_source": source,
        "canonical_url": canonical,
        "language": lang,
        "site_name": site_name,
    }


def clean_html(html: str, url: str | None = None) -> Cleaned:
    """The article's own text and metadata from an HTML page. Never raises on malformed input."""
    try:
        with warnings.catch_warnings():
            # Feeds' XHTML and one-line fragments are fine to parse as HTML; bs4 would warn about them.
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            soup = BeautifulSoup(html, "lxml", multi_valued_attributes=None)
    except RecursionError:
        return Cleaned(text=_flat_text(html), canonical_url=url, published=_date_from_url(url),
                       published_source="url" if _date_from_url(url) else None)
    try:
        try:
            meta = _metadata(soup, url)
        except RecursionError:
            meta = {"canonical_url": url}
        try:
            root = soup.body if soup.body is not None else soup
            text = _Extractor(root, meta.get("title")).run()
        except RecursionError:
            text = _flat_text(html)
    finally:
        soup.decompose()
    return Cleaned(text=text, **meta)


# ---------------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------------


def _word_chars(text: str) -> int:
    return sum(len(w) for w in re.findall(r"\w+", text))


def clean_document(raw: RawDocument) -> Article:
    """Decode and clean one raw document into an Article, or raise BadDocument."""
    text = decode_body(raw.body, raw.kind, raw.encoding)
    cleaned = clean_html(text, raw.url) if raw.kind == "html" else clean_text(text)
    n = _word_chars(cleaned.text)
    if n < MIN_TEXT_CHARS:
        what = "no article text" if n == 0 else f"only {n} characters of article text"
        raise BadDocument("no-text", f"The document has {what} after cleaning (need at least {MIN_TEXT_CHARS}).")
    published, published_source = cleaned.published, cleaned.published_source
    # The page's own date wins; the feed/sidecar date beats nothing and beats a date guessed from the URL.
    if raw.published and (not published or (published_source == "url" and not raw.published_is_fetch_time)):
        published = _iso_date(raw.published) or raw.published
        published_source = "fetch-time" if raw.published_is_fetch_time else "source"
    return Article(
        article_id=raw.raw_id,
        raw_id=raw.raw_id,
        source=raw.source,
        url=raw.url,
        canonical_url=cleaned.canonical_url or raw.url,
        title=cleaned.title or raw.title,
        authors=cleaned.authors or raw.authors,
        published=published,
        published_source=published_source,
        language=cleaned.language,
        site_name=cleaned.site_name,
        text=cleaned.text,
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
def clean_task(raws: list[RawDocument]) -> tuple[list[Article], list[Failure]]:
    """Clean a batch of raw documents (deterministic, CPU-bound: no retries)."""
    articles, failures = clean_documents(raws)
    run_logger().info("clean: %d articles, %d failures", len(articles), len(failures))
    return articles, failures
