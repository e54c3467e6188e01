"""How the article cleaner is scored: shared by ``bench/eval_clean.py`` and ``tests/test_clean_quality.py``.

Both import everything from here (the page loaders, the normalizations, the per-page scores and the
aggregation), so the eval and the CI gate cannot drift apart.

Pages come in the layout of ``../shared/fixtures/pages`` (the gate subset in
``tests/data/clean_gate/`` keeps the same layout), four datasets:

- ``readability``: mozilla/readability ``test/test-pages/*/``: ``source.html``, the expected main
  content ``expected.html`` (scored on its text) and ``expected-metadata.json`` (title, byline,
  publishedTime);
- ``newspaper``: codelucas/newspaper ``tests/data/html/X.html`` with expected body text
  ``tests/data/text/X.txt`` (no metadata). Text files that are empty or only a note in capitals
  about newspaper's own failure ("MISSED LAST PARAGRAPH") are not expectations and are skipped;
- ``newspaper4k``: AndyTheFactory/newspaper4k ``tests/data/html/X.html`` with ``txt/X.txt`` and,
  where present, ``metadata/X.json`` (title, authors, publish_date);
- ``postlight``: postlight/parser ``fixtures/*.html`` with ``postlight-expected.DERIVED.json``
  (title, author, date_published and the first words of the content). There is no full expected
  body, so the body is scored as a *lead hit*: the expected first words, tokenized like the body, must appear as
  one contiguous run starting within the first ``LEAD_WINDOW`` tokens of the text (compared with
  the tokens joined without separators, as postlight's own text glues some elements together).

Scores:

- body: token precision, recall and F1 of a bag of lower-cased word tokens with multiplicity
  (``Counter`` intersection), NFKC-normalized. Scripts written without spaces (Chinese, Japanese
  kana, Thai, Lao, Khmer, Burmese) count one token per character; everything else is ``\\w+`` runs.
  An empty extraction scores 0/0/0;
- title: equal after lower-casing, collapsing whitespace and deleting quote marks;
- author: equal *sets* of names, each lower-cased with whitespace collapsed and a leading "By"
  removed; a byline is split on commas, semicolons, "|", "&", "and" and newlines, and parts
  with digits (the date in "By Jane Doe\\nMarch 25, 2015") or nothing left are dropped;
- date: the same calendar day, either as written or in UTC (an ISO datetime with an offset).

Title, author and date rates count only pages whose expected value exists (non-empty).
"""

from __future__ import annotations

from bench.baseline import floor2  # noqa: F401 - re-exported for the gate tests

import html as htmllib
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from statistics import mean
from urllib.parse import urlparse

DATASETS = ("readability", "newspaper", "newspaper4k", "postlight")
LEAD_WINDOW = 50  # postlight: the expected first words must start within this many tokens
READABILITY_URL = "http://fakehost/test/page.html"  # the URL readability's own test harness uses

READABILITY_DIR = "mozilla+readability/test/test-pages"
NEWSPAPER_DIR = "codelucas+newspaper/tests/data"
NEWSPAPER4K_DIR = "AndyTheFactory+newspaper4k/tests/data"
POSTLIGHT_DIR = "postlight+parser"
POSTLIGHT_EXPECTED = "postlight-expected.DERIVED.json"


# ---------------------------------------------------------------------------------------------
# Tokens and body scores
# ---------------------------------------------------------------------------------------------

# Thai, Lao, Burmese, Khmer, kana, CJK ideographs (+ ext. A, compatibility), half-width katakana.
_NOSPACE = "\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_TOKEN = re.compile(rf"[{_NOSPACE}]|[^\W{_NOSPACE}]+")


def tokens(text: str | None) -> list[str]:
    """Lower-cased word tokens of ``text`` (one per character in scripts written without spaces)."""
    if not text:
        return []
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).lower())


def prf(predicted: str | None, expected: str | None) -> tuple[float, float, float]:
    """Token precision, recall and F1 of ``predicted`` against ``expected`` (bags with multiplicity)."""
    got, want = Counter(tokens(predicted)), Counter(tokens(expected))
    n_got, n_want = sum(got.values()), sum(want.values())
    if not n_got and not n_want:
        return 1.0, 1.0, 1.0
    if not n_got or not n_want:
        return 0.0, 0.0, 0.0
    common = sum((got & want).values())
    if not common:
        return 0.0, 0.0, 0.0
    p, r = common / n_got, common / n_want
    return p, r, 2 * p * r / (p + r)


def lead_hit(expected_lead: str | None, text: str | None, window: int = LEAD_WINDOW) -> bool | None:
    """Whether the expected first words start within the first ``window`` tokens of ``text``.

    Both sides are compared as their tokens joined without separators, because postlight's expected
    first words glue some adjacent elements together ("186 cmAvailable Lengths").
    """
    want = tokens(expected_lead)
    if not want:
        return None
    got = tokens(text)[: window + 3 * len(want) + 10]
    limit = sum(len(t) for t in got[:window])
    at = "".join(got).find("".join(want))
    return 0 <= at <= limit


# ---------------------------------------------------------------------------------------------
# Metadata normalizations
# ---------------------------------------------------------------------------------------------

_QUOTES = dict.fromkeys(map(ord, "\"'`´‘’‚‛“”„‟«»‹›′″"), None)


def norm_title(title: str | None) -> str:
    """Lower-cased, whitespace collapsed, quote marks deleted."""
    if not title:
        return ""
    return " ".join(title.translate(_QUOTES).lower().split())


def title_match(predicted: str | None, expected: str | None) -> bool | None:
    want = norm_title(expected)
    if not want:
        return None
    return norm_title(predicted) == want


_NAME_SPLIT = re.compile(r"\s*(?:[,;|\n]|&|\band\b)\s*", re.I)
_BY = re.compile(r"^by\b[\s:]*", re.I)


def author_names(value: str | list | tuple | None) -> frozenset[str]:
    """The set of normalized names in a byline string or a list of names."""
    if not value:
        return frozenset()
    items = [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]
    names = set()
    for item in items:
        item = _BY.sub("", item.strip())
        for part in _NAME_SPLIT.split(item):
            part = " ".join(_BY.sub("", part.strip()).split()).strip(" .:-–—").lower()
            if part and not re.search(r"\d", part):
                names.add(part)
    return frozenset(names)


def author_match(predicted, expected) -> bool | None:
    want = author_names(expected)
    if not want:
        return None
    return author_names(predicted) == want


_YMD = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})")


def calendar_days(value: str | None) -> frozenset[date]:
    """The day a date string names, as written and (when it has an offset) in UTC."""
    if not value or not isinstance(value, str):
        return frozenset()
    s = value.strip()
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        m = _YMD.match(s)
        if not m:
            return frozenset()
        try:
            return frozenset({date(int(m.group(1)), int(m.group(2)), int(m.group(3)))})
        except ValueError:
            return frozenset()
    days = {dt.date()}
    if dt.tzinfo is not None:
        days.add(dt.astimezone(timezone.utc).date())
    return frozenset(days)


def date_match(predicted: str | None, expected: str | None) -> bool | None:
    want = calendar_days(expected)
    if not want:
        return None
    return bool(calendar_days(predicted) & want)


# ---------------------------------------------------------------------------------------------
# Pages and their expected outputs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    text: str | None = None  # the full expected body text
    lead: str | None = None  # postlight: the first words of the body
    title: str | None = None
    authors: str | tuple[str, ...] | None = None  # a byline string or a list of names
    date: str | None = None


@dataclass(frozen=True)
class Page:
    dataset: str
    name: str  # unique within the dataset
    html_path: Path
    url: str | None
    expected: Expected
    files: tuple[Path, ...] = field(default=(), compare=False)  # every file this page reads

    @property
    def key(self) -> str:
        return f"{self.dataset}/{self.name}"


@dataclass(frozen=True)
class Prediction:
    text: str = ""
    title: str | None = None
    authors: str | tuple[str, ...] | None = None
    date: str | None = None


_BLOCKS = frozenset(
    "address article aside blockquote br dd details dialog div dl dt fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot th "
    "thead tr ul".split()
)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def html_text(markup: str) -> str:
    """The text of an HTML fragment, with a line break around every block element."""
    import lxml.html

    markup = _CONTROL.sub("", markup)
    if not markup.strip():
        return ""
    root = lxml.html.fragment_fromstring(markup, create_parent="div")
    for el in root.iter():
        if not isinstance(el.tag, str):  # comments, processing instructions
            continue
        if el.tag.lower() in _BLOCKS:
            el.text = "\n" + (el.text or "")
            el.tail = "\n" + (el.tail or "")
    return "\n".join(line for line in (" ".join(x.split()) for x in root.text_content().split("\n")) if line)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def _nonempty(value):
    if isinstance(value, str):
        value = value.strip()
    return value or None


def load_readability(root: Path) -> list[Page]:
    pages = []
    base = root / READABILITY_DIR
    for d in sorted(base.iterdir()) if base.is_dir() else []:
        src, exp, meta_f = d / "source.html", d / "expected.html", d / "expected-metadata.json"
        if not (src.is_file() and exp.is_file()):
            continue
        meta = json.loads(_read(meta_f)) if meta_f.is_file() else {}
        files = (src, exp) + ((meta_f,) if meta_f.is_file() else ())
        pages.append(Page("readability", d.name, src, READABILITY_URL, Expected(
            text=html_text(_read(exp)),
            title=_nonempty(meta.get("title")),
            authors=_nonempty(meta.get("byline")),
            date=_nonempty(meta.get("publishedTime")),
        ), files))
    return pages


# codelucas/newspaper tests/unit_tests.py pairs these pages with differently named texts and URLs.
_NEWSPAPER_RENAMED = {
    "cnn_article": ("cnn", "http://www.cnn.com/2013/11/27/travel/weather-thanksgiving/index.html?iref=allsearch"),
    "chinese_article": ("chinese", "http://news.sohu.com/20050601/n225789219.shtml"),
    "arabic_article": ("arabic", "http://arabic.cnn.com/2013/middle_east/8/3/syria.clashes/index.html"),
    "spanish_article": ("spanish", "http://ultimahora.es/mallorca/noticia/noticias/local/fiscalia-anticorrupcion-estudia-recurre-imputacion-infanta.html"),
    "japanese_article": ("japanese", "https://www.nikkei.com/article/DGXMZO31897660Y8A610C1000000/?n_cid=DSTPCS001"),
    "japanese_article2": ("japanese2", "http://www.afpbb.com/articles/-/3178894"),
    "thai_article": ("thai", "https://prachatai.com/journal/2019/01/80642"),
}


def _newspaper_base_domain(url: str) -> str:
    """newspaper's test naming: the last two labels of the host (three for co.uk, com.au, au.com)."""
    domain = urlparse(url).netloc
    labels = domain.split(".")
    n = 3 if ".".join(labels[-2:]) in ("co.uk", "com.au", "au.com") else 2
    return ".".join(labels[-n:])


def newspaper_urls(url_list: Path) -> dict[str, str]:
    """File stem -> URL, named as newspaper's exhaustive full-text test names them (domain + counter)."""
    out: dict[str, str] = {}
    counters: Counter = Counter()
    if not url_list.is_file():
        return out
    for line in _read(url_list).splitlines():
        url = line.strip()
        if not url:
            continue
        domain = _newspaper_base_domain(url)
        counters[domain] += 1
        out[f"{domain}{counters[domain]}"] = url
    return out


def is_failure_note(text: str) -> bool:
    """newspaper's text/ folder holds some notes instead of texts: empty, or a short line in capitals."""
    t = text.strip()
    return not t or (len(t) < 200 and bool(re.search(r"[A-Z]{3}", t)) and not re.search(r"[a-z]", t))


def load_newspaper(root: Path) -> list[Page]:
    base = root / NEWSPAPER_DIR
    url_list = base / "fulltext_url_list.txt"
    urls = newspaper_urls(url_list)
    pages = []
    for html_f in sorted((base / "html").glob("*.html")) if (base / "html").is_dir() else []:
        stem = html_f.stem
        text_stem, url = _NEWSPAPER_RENAMED.get(stem, (stem, urls.get(stem)))
        txt_f = base / "text" / f"{text_stem}.txt"
        if not txt_f.is_file():
            continue
        text = _read(txt_f)
        if is_failure_note(text):
            continue
        files = (html_f, txt_f) + ((url_list,) if stem in urls else ())
        pages.append(Page("newspaper", stem, html_f, url, Expected(text=text), files))
    return pages


def load_newspaper4k(root: Path) -> list[Page]:
    base = root / NEWSPAPER4K_DIR
    pages = []
    for html_f in sorted((base / "html").glob("*.html")) if (base / "html").is_dir() else []:
        txt_f, meta_f = base / "txt" / f"{html_f.stem}.txt", base / "metadata" / f"{html_f.stem}.json"
        if not txt_f.is_file():
            continue
        text = _read(txt_f)
        if not text.strip():
            continue
        meta = json.loads(_read(meta_f)) if meta_f.is_file() else {}
        authors = tuple(a for a in (meta.get("authors") or []) if isinstance(a, str) and a.strip())
        files = (html_f, txt_f) + ((meta_f,) if meta_f.is_file() else ())
        pages.append(Page("newspaper4k", html_f.stem, html_f, _nonempty(meta.get("url")), Expected(
            text=text,
            title=_nonempty(meta.get("title")),
            authors=authors or None,
            date=_nonempty(meta.get("publish_date")),
        ), files))
    return pages


def _unescaped(value):
    return _nonempty(htmllib.unescape(value)) if isinstance(value, str) else None


def load_postlight(root: Path) -> list[Page]:
    base = root / POSTLIGHT_DIR
    exp_f = base / POSTLIGHT_EXPECTED
    if not exp_f.is_file():
        return []
    derived = json.loads(_read(exp_f))
    pages = []
    for rel, entries in sorted(derived.items()):
        html_f = base / rel
        if not html_f.is_file():
            continue
        # A fixture can have several test cases; the first one that asserts anything is its own.
        for e in entries:
            lead = next((e[k] for k in e if re.fullmatch(r"content_first_\d+_words", k)), None)
            exp = Expected(
                lead=_unescaped(lead),
                title=_unescaped(e.get("title")),
                authors=_unescaped(e.get("author")),
                date=_nonempty(e.get("date_published")),
            )
            if any((exp.lead, exp.title, exp.authors, exp.date)):
                pages.append(Page("postlight", Path(rel).stem, html_f, _nonempty(e.get("url")), exp, (html_f, exp_f)))
                break
    return pages


def load_pages(root: Path) -> list[Page]:
    """Every page under ``root`` (shared/fixtures/pages layout) that has an expected output."""
    root = Path(root)
    return load_readability(root) + load_newspaper(root) + load_newspaper4k(root) + load_postlight(root)


# ---------------------------------------------------------------------------------------------
# Running our cleaner the same way everywhere
# ---------------------------------------------------------------------------------------------


def page_html(page: Page) -> str:
    """The page decoded as the pipeline decodes it (tasks.clean.decode_body), or leniently as UTF-8."""
    from tasks.clean import decode_body

    body = page.html_path.read_bytes()
    try:
        return decode_body(body, "html")
    except Exception:  # noqa: BLE001 - a page the pipeline would reject is still scored
        return body.decode("utf-8", errors="replace")


def predict_ours(html: str, url: str | None) -> Prediction:
    """tasks.clean.clean_html, as a Prediction."""
    from tasks.clean import clean_html

    c = clean_html(html, url)
    return Prediction(text=c.text or "", title=c.title, authors=tuple(c.authors), date=c.published)


# ---------------------------------------------------------------------------------------------
# Scores of one page, and their aggregation
# ---------------------------------------------------------------------------------------------


def score_page(page: Page, pred: Prediction) -> dict:
    """Per-page scores: body p/r/f1 (full text) or lead (postlight), title/author/date (True/False/None)."""
    exp = page.expected
    row: dict = {"page": page.key, "dataset": page.dataset}
    if exp.text is not None:
        row["p"], row["r"], row["f1"] = prf(pred.text, exp.text)
    if exp.lead is not None:
        row["lead"] = lead_hit(exp.lead, pred.text)
    row["title"] = title_match(pred.title, exp.title)
    row["author"] = author_match(pred.authors, exp.authors)
    row["date"] = date_match(pred.date, exp.date)
    return row


def _rate(rows: list[dict], key: str) -> tuple[float | None, int]:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return (sum(vals) / len(vals) if vals else None), len(vals)


def summarize(rows: list[dict]) -> dict:
    """Means over pages: body P/R/F1 (full-text pages), lead hit rate, title/author/date match rates."""
    body = [r for r in rows if "f1" in r]
    out: dict = {"pages": len(rows), "body_pages": len(body)}
    for k in ("p", "r", "f1"):
        out[f"body_{k}"] = mean(r[k] for r in body) if body else None
    for k in ("lead", "title", "author", "date"):
        out[k], out[f"{k}_n"] = _rate(rows, k)
    return out


GATE_METRICS = ("body_f1", "lead", "title", "author", "date")


def gate_metrics(summary: dict) -> dict[str, float]:
    """The metrics the CI gate puts floors on."""
    return {k: summary[k] for k in GATE_METRICS if summary.get(k) is not None}


