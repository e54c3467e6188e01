"""PLOVER event extraction: dictionaries + shallow patterns over sentences.

Pure core: ``split_sentences`` and ``extract_events`` are plain functions over strings and
``Event`` records. The lexicons are YAML data files under ``tasks/dictionaries/`` (countries,
places, named actors, roles, triggers) loaded lazily, once per directory (``load_lexicon``).
The module ends with the Prefect ``@task`` wrapper.

How a sentence is coded (in order):
1. actor mentions: dictionary atoms (countries, demonyms, capitals, named actors, roles) merged
   with their neighbours ("Iraqi" + "Prime Minister" + "Mohammed Shia al-Sudani"); sponsor
   descriptions ("Iran-backed", "U.S.-led") never give the country; pronouns and short
   references resolve to the most recent compatible actor of the article;
2. triggers from the PLOVER lexicons; triggers inside hypotheticals, questions, negations,
   denials and request/threat complements are not coded as the act; a future/intended attack
   becomes THREATEN;
3. actor = subject (nearest non-prepositional mention on the left, relative pronouns, light
   verbs, "by X"), recipient = object ("on/against X", first mention on the right);
   evaluative accusations ("violation of", "aggression") take the speaker as actor;
4. dates, places and casualties attach to the nearest trigger; ASSAULT mentions that are
   compatible (same actor/recipient country, mode and date) form one incident whose mode,
   date, place and participants fill each other's gaps; references back to aggregates are
   dropped and plural undated attacks are ``reported_only``.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.log import run_logger
from tasks.records import Article, Event, Slice, stable_id

EXTRACTOR_VERSION = "0.1.0"
DICTIONARY_DIR = Path(__file__).resolve().parent / "dictionaries"
DICTIONARY_FILES = ("countries.yaml", "places.yaml", "actors.yaml", "roles.yaml", "triggers.yaml")

MATERIAL = {"ASSAULT", "COERCE", "PROTEST", "MOBILIZE", "AID", "RETREAT", "SANCTION", "COOPERATE"}
VERBAL = {"AGREE", "CONSULT", "SUPPORT", "CONCEDE", "REQUEST", "REJECT", "ACCUSE", "THREATEN"}
PLOVER_TYPES = sorted(MATERIAL | VERBAL)



def __getattr__(name: str) -> str:  # PEP 562: computed lazily, never at import time
    if name == "DICTIONARY_VERSION":
        return dictionary_version()
    raise AttributeError(name)


# --------------------------------------------------------------------------- lexicon loading


@dataclass(frozen=True)
class Entry:
    """What a dictionary surface form means."""

    kind: str  # country | demonym | capital | city | place | actor | role
    name: str
    country: str | None = None
    sector: str | None = None
    person: bool = False
    qualified_sector: str | None = None
    plural: bool = False


@dataclass(frozen=True)
class Trigger:
    type: str
    mode: str | None
    pos: str  # verb | noun
    evaluative: bool = False
    conduct: bool = False


@dataclass(frozen=True)
class Lexicon:
    version: str
    proper_re: re.Pattern
    proper: dict
    role_re: re.Pattern
    roles: dict
    trig_re: re.Pattern
    triggers: dict
    cue_re: re.Pattern
    cues: dict
    casualty_re: re.Pattern
    casualty: dict
    light_re: re.Pattern
    victim_nouns: frozenset
    person_keys: dict  # surname / full name -> Entry (named actors that are persons)


def _verb_forms(lemma: str) -> list[str]:
    if "|" in lemma:
        return [f.strip() for f in lemma.split("|") if f.strip()]
    head, _, rest = lemma.partition(" ")
    tail = (" " + rest) if rest else ""
    forms = {head}
    if head.endswith("e"):
        forms |= {head + "s", head + "d", head[:-1] + "ing"}
    elif head.endswith("y") and len(head) > 2 and head[-2] not in "aeiou":
        forms |= {head[:-1] + "ies", head[:-1] + "ied", head + "ing"}
    elif re.search(r"(?:s|sh|ch|x|z)$", head):
        forms |= {head + "es", head + "ed", head + "ing"}
    else:
        forms |= {head + "s", head + "ed", head + "ing"}
        if re.fullmatch(r"[^aeiou]*[aeiou][bdgmnprt]", head):  # ban -> banned, shot -> shotted is never used
            forms |= {head + head[-1] + "ed", head + head[-1] + "ing"}
    return [f + tail for f in forms]


def _noun_forms(noun: str) -> list[str]:
    if "|" in noun:
        return [f.strip() for f in noun.split("|") if f.strip()]
    if " of" in noun or noun.endswith(" for") or noun.endswith(" on") or noun.endswith(" against"):
        return [noun]
    if noun.endswith("s") and not noun.endswith("ss"):
        return [noun]
    if re.search(r"(?:ss|sh|ch|x)$", noun):
        return [noun, noun + "es"]
    if re.search(r"[^aeiou]y$", noun):
        return [noun, noun[:-1] + "ies"]
    return [noun, noun + "s"]


def _alternation(surfaces) -> str:
    """One regex for many phrases, structured as a character trie (much faster than a flat alternation).

    Longer phrases are tried first (greedy optional tails); a space matches any whitespace."""
    trie: dict = {}
    for w in set(surfaces):
        if not w:
            continue
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        end = "" in node
        alts = [(r"\s+" if ch == " " else re.escape(ch)) + build(sub) for ch, sub in sorted(node.items()) if ch != ""]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if end:
            return "(?:" + body + ")?"
        return body

    return build(trie)


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s.replace("’", "'"))


#: PLOVER's quad categories (the manual's "Summary of event categories").
QUAD_CLASS = {
    **dict.fromkeys(("AGREE", "CONSULT", "SUPPORT", "CONCEDE"), 1),  # verbal cooperation
    **dict.fromkeys(("COOPERATE", "AID", "RETREAT"), 2),  # material cooperation
    **dict.fromkeys(("REQUEST", "ACCUSE", "REJECT", "THREATEN"), 3),  # verbal conflict
    **dict.fromkeys(("PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT"), 4),  # material conflict
}
CAMEO_TABLE = DICTIONARY_DIR / "cameo2plover.txt"
_CAMEO_LINE = re.compile(r"^(\d{2,4}):\s*([A-Z]+)\s*,([^,#]*),?([^#]*)")


@lru_cache(maxsize=1)
def _cameo_roots() -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    """(type, mode) -> CAMEO root and type -> CAMEO root: the root most CAMEO codes of that PLOVER
    type (and mode) come from, in the official CAMEO2PLOVER table (tasks/dictionaries/cameo2plover.txt)."""
    by_mode: dict[tuple[str, str], Counter] = {}
    by_type: dict[str, Counter] = {}
    for line in CAMEO_TABLE.read_text(encoding="utf-8").splitlines():
        m = _CAMEO_LINE.match(line.strip())
        if not m or m.group(2) not in QUAD_CLASS:
            continue
        code, ptype = m.group(1), m.group(2)
        mode = m.group(3).strip()
        by_type.setdefault(ptype, Counter())[code[:2]] += 1
        if mode:
            by_mode.setdefault((ptype, mode), Counter())[code[:2]] += 1
    pick = lambda c: min(c, key=lambda r: (-c[r], r))  # noqa: E731 - most codes, then the lowest root
    return {k: pick(c) for k, c in by_mode.items()}, {k: pick(c) for k, c in by_type.items()}


#: Our modes that the 2021 table does not name, by the CAMEO code they correspond to:
#: 195 "employ aerial weapons" (air and drone strikes), 1712 "destroy property".
_CAMEO_MODE_ROOTS = {("ASSAULT", "aerial"): "19", ("ASSAULT", "drone"): "19", ("ASSAULT", "destroy"): "17"}


def cameo_root(event_type: str, mode: str | None = None) -> str | None:
    """The CAMEO root code of a PLOVER type (and mode), so our events join with GDELT's."""
    by_mode, by_type = _cameo_roots()
    key = (event_type, mode or "")
    return _CAMEO_MODE_ROOTS.get(key) or by_mode.get(key) or by_type.get(event_type)


def dictionary_version(dict_dir: str | Path | None = None) -> str:
    """A short hash of the dictionary files' bytes."""
    return load_lexicon(str(dict_dir) if dict_dir else None).version


@lru_cache(maxsize=16)
def load_lexicon(dict_dir: str | None = None) -> Lexicon:
    """Read and compile the YAML dictionaries of ``dict_dir`` (default: tasks/dictionaries). Cached."""
    import yaml

    d = Path(dict_dir) if dict_dir else DICTIONARY_DIR
    h = hashlib.sha256()
    data = {}
    for name in DICTIONARY_FILES:
        p = d / name
        raw = p.read_bytes() if p.exists() else b""
        h.update(name.encode() + b"\x00" + raw + b"\x00")
        data[name] = yaml.safe_load(raw.decode("utf-8")) or {} if raw else {}

    proper: dict[str, Entry] = {}
    person_keys: dict[str, Entry] = {}

    def add(surface: str, e: Entry) -> None:
        proper.setdefault(_norm(str(surface)), e)

    for iso, c in (data["countries.yaml"] or {}).items():
        c = c or {}
        names = c.get("names") or []
        canon = names[0] if names else iso
        for n in names:
            add(n, Entry("country", canon, iso))
        for n in c.get("demonyms") or []:
            add(n, Entry("demonym", canon, iso))
        if c.get("capital"):
            add(c["capital"], Entry("capital", c["capital"], iso))
        for n in c.get("cities") or []:
            add(n, Entry("city", n, iso))
    for n, iso in (data["places.yaml"] or {}).items():
        add(n, Entry("place", str(n), iso))
    for n, a in (data["actors.yaml"] or {}).items():
        a = a or {}
        e = Entry("actor", str(n), a.get("country"), a.get("sector"), person=bool(a.get("person", False)))
        add(n, e)
        for al in a.get("aliases") or []:
            add(al, e)
    for key in list(proper):  # persons: allow "the" in front to be skipped and surname lookups
        e = proper[key]
        if e.kind == "actor" and e.sector == "GOV" and " " in e.name and e.country not in (None, "IGO"):
            person_keys[e.name] = e

    roles: dict[str, Entry] = {}
    rd = data["roles.yaml"] or {}
    persons = {_norm(p).lower() for p in rd.get("person") or []}
    for sector, words in (rd.get("roles") or {}).items():
        for w in words or []:
            key = _norm(str(w)).lower()
            roles[key] = Entry("role", str(w), None, sector, person=key in persons, plural=key.endswith("s") and not key.endswith("ss"))
    for w, spec in (rd.get("special") or {}).items():
        key = _norm(str(w)).lower()
        roles[key] = Entry("role", str(w), spec.get("country"), spec.get("sector"), person=key in persons,
                           qualified_sector=spec.get("qualified_sector"))

    triggers: dict[str, list[Trigger]] = {}
    td = data["triggers.yaml"] or {}
    for typ in PLOVER_TYPES:
        for ent in td.get(typ) or []:
            mode = ent.get("mode")
            ev = bool(ent.get("evaluative"))
            cd = bool(ent.get("conduct"))
            for v in ent.get("verbs") or []:
                for f in _verb_forms(str(v)):
                    triggers.setdefault(_norm(f).lower(), []).append(Trigger(typ, mode, "verb", ev, cd))
            for n in ent.get("nouns") or []:
                for f in _noun_forms(str(n)):
                    triggers.setdefault(_norm(f).lower(), []).append(Trigger(typ, mode, "noun", ev))
    cues = {}
    for mode, words in (td.get("assault_mode_cues") or {}).items():
        for w in words or []:
            cues[_norm(str(w)).lower()] = mode
    casualty = {}
    for kind, words in (td.get("casualty_verbs") or {}).items():
        for w in words or []:
            for f in _verb_forms(str(w)):
                casualty[_norm(f).lower()] = kind
    lights = [f for w in td.get("light_verbs") or [] for f in _verb_forms(str(w))]

    def ci(alts) -> re.Pattern:
        return re.compile(r"(?<![\w-])(?:" + (_alternation({a.lower() for a in alts}) or "(?!)") + r")(?![\w])", re.IGNORECASE)

    proper_alts = set(proper) | {k.replace("'", "’") for k in proper if "'" in k}
    return Lexicon(
        version=h.hexdigest()[:12],
        proper_re=re.compile(r"(?<![\w])(?:" + (_alternation(proper_alts) or "(?!)") + r")(?![\w])"),
        proper=proper,
        role_re=ci(roles),
        roles=roles,
        trig_re=ci(triggers),
        triggers=triggers,
        cue_re=ci(cues),
        cues=cues,
        casualty_re=ci(casualty),
        casualty=casualty,
        light_re=ci(lights),
        victim_nouns=frozenset(_norm(str(w)).lower() for w in td.get("victim_nouns") or []),
        person_keys=person_keys,
    )


# --------------------------------------------------------------------------- sentences

ABBREV = {
    "u.s", "u.n", "u.k", "e.u", "d.c", "mr", "mrs", "ms", "dr", "gen", "lt", "col", "sgt", "capt", "maj", "brig", "adm",
    "cmdr", "gov", "sen", "rep", "rev", "prof", "st", "jr", "sr", "inc", "corp", "co", "ltd", "vs", "etc", "e.g",
    "i.e", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "ft", "dept",
    "pres", "gov", "a.m", "p.m", "approx", "est", "fig", "al",
}
_BOUNDARY_RE = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_PARA_RE = re.compile(r"[^\n]+")
_STARTERS = {"The", "He", "She", "It", "They", "In", "But", "A", "An", "This", "That", "We", "I", "On", "At", "And"}


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (paragraphs, then sentence-final punctuation)."""
    spans: list[tuple[int, int]] = []
    for para in _PARA_RE.finditer(text):
        p0, p1 = para.span()
        chunk = para.group(0)
        start = 0
        for m in _BOUNDARY_RE.finditer(chunk):
            end = m.end()
            if chunk[m.start()] == ".":
                wm = re.search(r"([\w.]+)$", chunk[start:m.start()])
                word = wm.group(1).lower() if wm else ""
                nxt = re.match(r"\s+[\"'“‘(\[]?(\w+)", chunk[end:])
                nxt_word = nxt.group(1) if nxt else ""
                if word in ABBREV or re.fullmatch(r"[a-z]", word) or re.fullmatch(r"(?:[a-z]\.)+[a-z]", word):
                    if not (word in {"u.s", "u.k", "u.n", "etc"} and nxt_word in _STARTERS):
                        continue
            _push(spans, chunk, p0, start, end)
            start = end
        _push(spans, chunk, p0, start, len(chunk))
    return spans


def _push(spans, chunk, offset, s, e) -> None:
    seg = chunk[s:e]
    ls = len(seg) - len(seg.lstrip())
    rs = len(seg.rstrip())
    if rs > ls:
        spans.append((offset + s + ls, offset + s + rs))


# --------------------------------------------------------------------------- dates

_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_MONTH_RE = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan\.|Feb\.|Mar\.|Apr\.|Jun\.|Jul\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.|Aug|Sept|Oct|Nov|Dec|Jan|Feb)"
_DATE_RE = re.compile(
    r"(?P<since>\b[Ss]ince\s+)?(?:"
    r"(?P<wd>\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))(?P<wdposs>['’]s)?(?:\s+(?:night|morning|evening|afternoon))?\b"
    r"|\b(?P<d1>\d{1,2})\s+(?P<m1>" + _MONTH_RE + r")(?:,?\s+(?P<y1>\d{4}))?"
    r"|\b(?P<m2>" + _MONTH_RE + r")\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y2>\d{4}))?"
    r"|\b(?P<rel>yesterday|today|last\s+week|this\s+week|earlier\s+this\s+week|last\s+month|this\s+month|last\s+night|overnight)\b"
    r"|(?:\b(?:[Ii]n|[Dd]uring|[Tt]hroughout)\s+|(?<=[Ss]ince\s))(?:(?:early|mid|mid-|late)\s*-?\s*)?(?P<m3>January|February|March|April|May|June|July|"
    r"August|September|October|November|December)(?:\s+(?P<y3>\d{4}))?\b(?!\s+\d))",
)


def _pub_date(published: str | None) -> date | None:
    if not published:
        return None
    s = published.strip()
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00")).date()
    except ValueError:
        m = re.match(r"(\d{4})-?(\d{2})-?(\d{2})", s)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None
    return None


@dataclass(frozen=True)
class DateExpr:
    start: int
    end: int
    value: str | None
    precision: str | None
    since: bool
    possessive: bool = False


def find_dates(sentence: str, published: date | None) -> list[DateExpr]:
    """Date expressions of a sentence, resolved against the publication date."""
    out = []
    for m in _DATE_RE.finditer(sentence):
        val, prec = None, "day"
        if m["wd"]:
            if published:
                back = (published.weekday() - _WEEKDAYS.index(m["wd"])) % 7
                val = published - timedelta(days=back)
        elif m["m1"] or m["m2"]:
            mon = _MONTHS[(m["m1"] or m["m2"])[:3].lower()]
            day = int(m["d1"] or m["d2"])
            year = m["y1"] or m["y2"]
            try:
                if year:
                    val = date(int(year), mon, day)
                elif published:
                    val = date(published.year, mon, day)
                    if val > published:
                        val = date(published.year - 1, mon, day)
            except ValueError:
                val = None
        elif m["m3"]:  # "in October", "in early October 2023": the month
            mon, prec = _MONTHS[m["m3"][:3].lower()], "month"
            if m["y3"]:
                val = date(int(m["y3"]), mon, 1)
            elif published:
                val = date(published.year if mon <= published.month else published.year - 1, mon, 1)
        else:
            rel = re.sub(r"\s+", " ", m["rel"].lower())
            if published:
                if rel in ("today",):
                    val = published
                elif rel in ("yesterday", "last night", "overnight"):
                    val = published - timedelta(days=1) if rel != "overnight" else published
                elif rel == "last week":
                    val, prec = published - timedelta(days=7), "week"
                elif rel in ("this week", "earlier this week"):
                    val, prec = published, "week"
                elif rel == "last month":
                    val, prec = (published.replace(day=1) - timedelta(days=1)).replace(day=1), "month"
                elif rel == "this month":
                    val, prec = published.replace(day=1), "month"
        out.append(DateExpr(m.start(), m.end(), val.isoformat() if val else None, prec if val else None,
                            bool(m["since"]), bool(m["wdposs"])))
    return out


# --------------------------------------------------------------------------- numbers

_NUM_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "hundred": 100, "a dozen": 12, "dozen": 12,
    # vague plurals count as their lower bound: "dozens" is at least 24
    "dozens": 24, "hundreds": 200, "thousands": 2000,
}
_NUM = r"(?:\d[\d,]*(?:\.\d+)?(?:\s+(?:thousand|million))?|(?:a\s+)?dozen|dozens|hundreds|thousands|(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[-\s])?(?:one|two|three|four|five|six|seven|eight|nine)|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|(?:a|one|two|three|four|five)\s+hundred)"
_QUANT = r"(?:(?:at\s+least|more\s+than|over|some|about|around|nearly|almost|up\s+to|roughly|an\s+estimated)\s+)?"


def parse_number(s: str) -> int | None:
    """Digits ("14,000", "2.5 million") and number words ("eight", "twenty-one", "a dozen") -> int."""
    s = re.sub(r"\s+", " ", s.strip().lower())
    mult = 1
    for w, k in (("thousand", 1000), ("million", 1_000_000)):
        if s.endswith(" " + w):
            s, mult = s[: -len(w) - 1], k
    if re.fullmatch(r"\d[\d,]*(?:\.\d+)?", s):
        return int(float(s.replace(",", "")) * mult)
    if s in _NUM_WORDS:
        return _NUM_WORDS[s] * mult
    m = re.fullmatch(r"(\w+)[- ](\w+)", s)
    if m:
        a, b = m.groups()
        if a in ("a", "one", "two", "three", "four", "five") and b == "hundred":
            return (1 if a == "a" else _NUM_WORDS[a]) * 100 * mult
        if a in _NUM_WORDS and b in _NUM_WORDS and _NUM_WORDS[a] >= 20 and _NUM_WORDS[b] < 10:
            return (_NUM_WORDS[a] + _NUM_WORDS[b]) * mult
    return None


_LEFT_COUNT_RE = re.compile(
    r"(?<![\w-])" + _QUANT + r"(?P<n>" + _NUM + r")\b(?:\s+[\w'’-]+){0,4}?\s+(?:were|was|have\s+been|had\s+been|has\s+been|are|is|been|being|got)\s*$",
    re.IGNORECASE)
_RIGHT_COUNT_RE = re.compile(r"^\s+" + _QUANT + r"(?P<n>" + _NUM + r")\b(?!\s+(?:of\s+)?(?:percent|%|years|months|days|hours))", re.IGNORECASE)
_RIGHT_ONE_RE = re.compile(r"^\s+(?:(?:a|an)\s+(?!number|series|dozen|total)|[A-Z][\w'’-]+\s+(?:[A-Z][\w'’-]+|al-|bin\b))")
_DEAD_ADJ_RE = re.compile(r"(?<![\w-])" + _QUANT + r"(?P<n>" + _NUM + r")\s+(?:people\s+|civilians\s+|soldiers\s+)?(?P<k>dead|injured|wounded)\b", re.IGNORECASE)


# --------------------------------------------------------------------------- mentions


@dataclass
class Mention:
    start: int
    end: int
    text: str
    name: str | None
    country: str | None
    sector: str | None
    kind: str  # country | actor | role | person | place | pronoun
    person: bool = False
    plural: bool = False
    bare_country: bool = False
    pp: bool = False  # object of a preposition (in/at/of/from ...)
    locative: bool = False
    conjuncts: tuple = ()
    generic: bool = False  # a role without a country qualifier (country from the article context)


_DET_LEFT_RE = re.compile(r"(?<![\w-])(?:(?:the|a|an|some|senior|top|various|several|many|most|other|high-ranking|local|foreign|ruling|two|three|both)\s+)+$", re.IGNORECASE)
_NAME_TOKEN = r"(?:(?:[Aa]l|[Ee]l|[Aa]bu|[Bb]in|[Ii]bn)-?[A-Z][\w'’]+|[A-Z][a-z][\w'’]*|[A-Z]\.|Abu|bin|ibn|al|de|van|von)"
_NAME_RE = re.compile(r"(?<![\w-])" + _NAME_TOKEN + r"(?:[ \t]+" + _NAME_TOKEN + r"){0,4}(?![\w-])")
_PRONOUN_RE = re.compile(r"\b(?:it|its|he|his|she|her|they|their|them|the\s+groups?|the\s+militias?|the\s+militants|the\s+movement|the\s+organi[sz]ation|who|which|that)\b", re.IGNORECASE)
#: "Dozens of protesters", "thousands of people", "a group of gunmen": the group is the subject,
#: not the object of "of".
_QUANT_OF_RE = re.compile(r"(?:^|\s)(?:dozens|hundreds|thousands|tens\s+of\s+thousands|scores|millions|some|many|several|"
                          r"a\s+(?:group|number|crowd|handful|few)|groups|crowds|hundreds\s+of\s+thousands|\d[\d,]*|"
                          r"(?:two|three|four|five|six|seven|eight|nine|ten)|a\s+dozen)\s+of\s+(?:the\s+)?$", re.IGNORECASE)
_PREP_BEFORE_RE = re.compile(r"(?:\b(?:of|in|at|near|from|with|for|to|on|against|into|across|throughout|inside|outside|around|by|toward|towards|over|under|between|among|including|via|about|beyond|within|according\s+to)\s+(?:(?:the|a|an|its|their|his|her|our|both|central|northern|southern|eastern|western|stronghold|base|city|town|province|capital|region|village|area|district|camp|site|vicinity)\s+){0,3})$", re.IGNORECASE)
_LOC_PREP_RE = re.compile(r"\b(?:in|at|near|outside|inside|across|throughout|around|into|from|over|south|north|east|west)\s+(?:(?:the|a|its|their|central|northern|southern|eastern|western|stronghold|base|city|town|province|capital|region|village|area|district|camp|of|both)\s+){0,3}$", re.IGNORECASE)
_SPONSOR_RE = re.compile(r"^-(?:backed|led|linked|allied|aligned|supported|sponsored|funded|armed|based|run|controlled|trained|affiliated|made|owned)\b|^\s+(?:and\s+[\w-]+-(?:backed|led|linked))")
_NAME_STOP = {
    "The", "A", "An", "In", "On", "At", "It", "He", "She", "They", "We", "I", "His", "Her", "Their", "Its", "This", "That",
    "There", "These", "Those", "Some", "Immediately", "Senior", "But", "And", "As", "After", "Before", "When", "While",
    "According", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February",
    "March", "April", "May", "June", "July", "August", "September", "October", "November", "December", "Jan.", "Feb.",
    "Oct.", "Nov.", "Dec.", "Aug.", "Sept.", "Various", "Six", "Five", "Four", "Three", "Two", "One", "Several",
    "Shiite", "Shi'ite", "Sunni", "Islamic", "President", "Prime", "Minister", "General", "Gen.", "Col.", "Colonel",
    "Secretary", "Deputy", "Head", "Chief", "Commander", "Al", "Hours", "Local", "Evidence", "Opponents", "Hundreds",
    "Insurgents", "Georgian", "Congress", "Obama", "Militants", "If", "Local", "Today", "Yesterday", "Ukrainian", "Syrian",
}


@dataclass
class ArticleState:
    """What the article has told us so far (context country, persons met, recent actors)."""

    context_country: str | None
    persons: dict = field(default_factory=dict)  # key -> Mention template
    recent: list = field(default_factory=list)  # resolved mentions in order (most recent last)
    subjects: list = field(default_factory=list)  # first resolved mention of each sentence


def _is_pp(s: str, start: int) -> bool:
    """Whether the words before ``start`` make the mention the object of a preposition."""
    before = _tail(s, start)
    return bool(_PREP_BEFORE_RE.search(before)) and not _QUANT_OF_RE.search(before)


def _atoms(lex: Lexicon, s: str) -> list[tuple[int, int, Entry]]:
    atoms = []
    taken = [False] * (len(s) + 1)
    for m in lex.proper_re.finditer(s):
        e = lex.proper.get(_norm(m.group(0)))
        if e is None:
            continue
        atoms.append((m.start(), m.end(), e))
        for i in range(m.start(), m.end()):
            taken[i] = True
    for m in lex.role_re.finditer(s):
        if any(taken[m.start():m.end()]):
            continue
        e = lex.roles.get(_norm(m.group(0)).lower())
        if e is None:
            continue
        if m.group(0) == "IS" or (m.group(0)[0].isupper() and m.start() > 0 and e.name.lower() in ("general",) and not re.match(r"\s+[A-Z]", s[m.end():])):
            continue
        if re.match(r"-(?:held|controlled|run|occupied|backed|led|owned|linked|allied|affiliated)\b", s[m.end():]):
            continue  # "a government-held part of the city": a description, not a party
        atoms.append((m.start(), m.end(), e))
    atoms.sort(key=lambda a: (a[0], -a[1]))
    out, last = [], -1
    for a in atoms:
        if a[0] >= last:
            out.append(a)
            last = a[1]
    return out


_JOIN_RE = re.compile(r"^(?:\s+(?:Shi['’]?ite|Shia|Sunni|Islamist|Kurdish|Islamic|jihadist|paramilitary|armed|rebel|radical|hardline|pro-government)\s+|\s+|['’]s\s+(?:(?:['‘\"“][^'’\"”]{1,30}['’\"”]|[a-z][\w-]*)\s+){0,2}|\s+(?:senior|top|special|security|defense|defence|national|foreign|military|chief|deputy|acting|former|interim|federal)\s+)$")
_CONJ_RE = re.compile(r"^\s+(?:and|&)\s+(?:the\s+)?(?:(?:foreign|other|allied|international)\s+)?$")


def _mentions(lex: Lexicon, s: str, st: ArticleState) -> list[Mention]:
    atoms = _atoms(lex, s)
    groups: list[list[tuple[int, int, Entry]]] = []
    conj_links: set[int] = set()
    for a in atoms:
        if groups:
            prev = groups[-1][-1]
            gap = s[prev[1]:a[0]]
            if _JOIN_RE.match(gap) and prev[2].kind not in ("city", "place") and not (prev[2].kind == "role" and a[2].kind in ("country", "demonym")) \
                    and not (prev[2].kind in ("actor",) and a[2].kind in ("actor", "country", "capital")):
                groups[-1].append(a)
                continue
            if _CONJ_RE.match(gap) and prev[2].kind in ("country", "demonym", "actor", "role") \
                    and a[2].kind in ("country", "demonym", "actor", "role"):
                conj_links.add(len(groups))
            elif re.fullmatch(r"\s*,\s*(?:and\s+)?", gap) and prev[2].kind == "country" and a[2].kind == "country":
                conj_links.add(len(groups))  # a list of countries: "The US, Russia, and Switzerland met"
        groups.append([a])

    mentions: list[Mention] = []
    conj_spans: list[tuple[int, int]] = []
    made: set[int] = set()  # groups that gave a mention (a conjunct joins only the one just before it)
    covered = -1  # end of the last mention: a role a sponsor description already took is not a new group
    for gi, g in enumerate(groups):
        start, end = g[0][0], g[-1][1]
        if start < covered:
            continue
        # sponsor descriptions: "Iran-backed", "U.S.-led" -> the country is not the group's
        sponsor = False
        for a in g:
            if a[2].kind in ("country", "demonym", "capital", "actor") and _SPONSOR_RE.match(s[a[1]:]):
                sponsor = True
        country = sector = name = None
        kind = "role"
        person = plural = bare = generic = False
        qualified = False
        ents = [a[2] for a in g]
        roles = [e for e in ents if e.kind == "role"]
        actors = [e for e in ents if e.kind == "actor"]
        geo = [e for e in ents if e.kind in ("country", "demonym", "capital")]
        places = [e for e in ents if e.kind in ("city", "place")]
        if sponsor:
            geo = [e for e in geo if not _SPONSOR_RE.match(s[[a for a in g if a[2] is e][0][1]:])]
            # a sponsor word alone ("Iran-backed") followed by a role: keep searching for the role
            m = re.match(r"^-[a-z]+\s+((?:[\w'’-]+\s+){0,2}?)", s[end:])
            if not roles and not actors:
                rm = lex.role_re.match(s, end + (m.end() if m else 0)) if m else None
                if rm:
                    e = lex.roles.get(_norm(rm.group(0)).lower())
                    if e:
                        roles, end = [e], rm.end()
                        ents.append(e)
        if actors:
            e = actors[-1]
            country, sector, name, kind, person = e.country, e.sector, e.name, "actor", e.person
            if geo and not e.country:
                country = geo[0].country
        elif roles:
            e = roles[-1]
            sector, name, person, plural = e.sector, e.name, e.person, e.plural
            if geo:
                country = geo[0].country
                qualified = True
                if e.qualified_sector:
                    sector = e.qualified_sector
            elif e.country:
                country = e.country
            else:
                generic = True
            if sector == "IGO" and not qualified:
                country = "IGO"
            name = (geo[0].name + " " + e.name) if geo else e.name
        elif geo:
            e = geo[0]
            country, name, kind, bare = e.country, e.name, "country", True
            if e.kind == "capital":
                kind = "country"
            if e.kind == "demonym" and len(g) == 1:
                plural = e.name.endswith("s")
        elif places:
            e = places[0]
            country, name, kind = e.country, e.name, "place"
        else:
            continue
        # person name after a role ("Prime Minister Mohammed Shia al-Sudani")
        if person or (roles and roles[-1].person):
            nm = _NAME_RE.match(s, end + 1) if s[end:end + 1] == " " else None
            ntoks = nm.group(0).split() if nm else []
            while ntoks and ntoks[-1] in _NAME_STOP:
                ntoks = ntoks[:-1]
            if ntoks and ntoks[0] not in _NAME_STOP and lex.proper.get(_norm(nm.group(0))) is None:
                pname = " ".join(ntoks)
                end = end + 1 + len(pname)
                person = True
                name = pname
        left = _DET_LEFT_RE.search(_tail(s, start))
        tstart = (max(0, start - 90) + left.start()) if left else start
        if "sponsor" and sponsor and not (roles or actors):
            continue
        mt = Mention(tstart, end, s[tstart:end], name, country, sector, kind, person, plural, bare, generic=generic)
        if places and not (roles or actors or geo):
            mt.locative = bool(_LOC_PREP_RE.search(_tail(s, start)))
        mt.pp = _is_pp(s, tstart)
        if kind == "country" and _LOC_PREP_RE.search(_tail(s, tstart)):
            mt.locative = True
        covered = end
        made.add(gi)
        if gi in conj_links and mentions and gi - 1 in made:
            prevm = mentions[-1]
            prevm.conjuncts = prevm.conjuncts + (mt,)
            if prevm.bare_country and mt.sector and not mt.bare_country and re.match(r"^\s+and\s+(?:foreign|other|allied|international)?\s*$", s[prevm.end:mt.start] + " ") is None:
                pass
            # shared head: "US and Coalition forces", "US and foreign troops"
            conj_spans.append((mt.start, mt.end))
            if prevm.bare_country and mt.sector:
                prevm.sector = mt.sector if mt.sector != "IGO" else "MIL"
                prevm.bare_country = False
                prevm.end = mt.end
                prevm.text = s[prevm.start:mt.end]
            continue
        if person:
            _register_person(st, mt)
        mentions.append(mt)
    # "troops from the US-led coalition": a generic role takes the country of its "from/of" complement
    for i, mt in enumerate(mentions[:-1]):
        nxt = mentions[i + 1]
        if mt.generic and re.fullmatch(r"\s+(?:from|of)\s+", s[mt.end:nxt.start]) and nxt.country:
            mt.country, mt.generic = nxt.country, False
            if nxt.country == "IGO":
                mt.sector = "IGO"
    # persons by name: registry surnames, named-actor persons and free-standing names
    taken = [(m.start, m.end) for m in mentions] + conj_spans
    for nm in _NAME_RE.finditer(s):
        a, b = nm.span()
        toks = nm.group(0).split()
        while toks and toks[0] in _NAME_STOP:
            a += len(toks[0]) + 1
            toks = toks[1:]
        while toks and toks[-1] in _NAME_STOP:
            b -= len(toks[-1]) + 1
            toks = toks[:-1]
        if not toks or any(a < e and b > x for x, e in taken):
            continue
        text = " ".join(toks)
        key = _surname(text)
        tmpl = st.persons.get(text) or st.persons.get(key)
        if tmpl is not None:
            mt = Mention(a, b, s[a:b], tmpl.name, tmpl.country, tmpl.sector, "person", True)
        elif len(toks) >= 2 and re.search(r"[A-Z]", toks[-1]) and not text.isupper():
            mt = Mention(a, b, s[a:b], text, None, None, "person", True)
            _appositive(lex, s, mt, mentions)
            if mt.country or mt.sector:
                _register_person(st, mt)
        else:
            continue
        mt.pp = _is_pp(s, a)
        mentions.append(mt)
        taken.append((a, b))
    mentions.sort(key=lambda m: m.start)
    _complement_countries(s, mentions)
    return mentions


#: "dissidents from military-ruled Myanmar": a hyphenated modifier may stand between "from" and the country
_FROM_COUNTRY_RE = re.compile(r"\s+from\s+(?:the\s+)?[\w]+-[\w]+\s+")
#: "The US commander in Iraq, General David Petraeus,": the gap between a role and the name in apposition
_APPOS_GAP_RE = re.compile(r"(?:\s+(?:in|of|for|to)\s+[^,;.]{1,40}?)?\s*,\s*")
_APPOS_AFTER_RE = re.compile(r"\s*,\s*(?:the\s+)?")


def _complement_countries(s: str, mentions: list[Mention]) -> None:
    """A generic role or a person with no country takes one from its own noun phrase:
    "exiled dissidents from military-ruled Myanmar" (a "from" complement behind a hyphenated modifier) and
    appositions "The US commander in Iraq, General David Petraeus," / "David Petraeus, the US commander"."""
    for i, mt in enumerate(mentions):
        if mt.country is not None or mt.kind not in ("role", "person"):
            continue
        fm = _FROM_COUNTRY_RE.match(s, mt.end)
        if fm:
            nxt = [x for x in mentions if x.start == fm.end() and x.country and x.kind in ("country", "actor", "role")]
            if nxt:
                mt.country, mt.generic = nxt[0].country, False
                continue
        if not mt.person:
            continue
        # the qualified role just before: "The US commander in Iraq, General David Petraeus,"
        prev = [x for x in mentions if x.end <= mt.start and not x.pp and x.kind == "role" and x.country
                and not x.generic and re.search(r"(?:^|\s)[a-z][\w-]*$", x.text)]  # a common-noun role, not a named person
        if prev and _APPOS_GAP_RE.fullmatch(s, prev[-1].end, mt.start) and s[mt.end:mt.end + 1] in (",", ""):
            mt.country, mt.generic = prev[-1].country, False
            continue
        # or just after: "General David Petraeus, the US commander in Iraq,"
        am = _APPOS_AFTER_RE.match(s, mt.end)
        if am:
            nxt = [x for x in mentions if x.start == am.end() or (x.start > mt.end and x.start <= am.end() + 4 and s[am.end():x.start].strip() == "")]
            nxt = [x for x in nxt if x.kind == "role" and x.country and not x.generic and not x.bare_country]
            if nxt:
                mt.country, mt.generic = nxt[0].country, False


def _tail(s: str, i: int, n: int = 90) -> str:
    """The last ``n`` characters before ``i`` (end-anchored patterns need no more)."""
    return s[max(0, i - n):i]


def _surname(name: str) -> str:
    last = name.split()[-1]
    return re.sub(r"^(?:al|Al|el|El)-", "", last)


def _register_person(st: ArticleState, m: Mention) -> None:
    if not m.name or not m.name[:1].isupper():
        return
    st.persons[m.name] = m
    toks = m.name.split()
    if len(toks) >= 2 and re.search(r"[A-Z]", toks[-1]):
        st.persons[_surname(m.name)] = m
        st.persons[toks[-1]] = m


_APPOS_RE = re.compile(r"^[^.;]{0,40}?(?:,|—|–)\s*(?:[^,.;]{0,30}?,\s*)?(?:who\s+(?:leads|led|heads|headed|commands|commanded|founded)|(?:the\s+)?(?:head|leader|chief|commander|founder|spokes\w+|member|secretary-general)\s+of)\s+")


def _appositive(lex: Lexicon, s: str, mt: Mention, mentions: list[Mention]) -> None:
    """A person's affiliation from "X, who leads Y" / "X, head of Y" / "X — ... the leader of Y"."""
    m = _APPOS_RE.match(s[mt.end:])
    if not m:
        return
    pos = mt.end + m.end()
    sub = _atoms(lex, s[pos:pos + 120])
    st_tmp = ArticleState(None)
    ms = _mentions_light(lex, s, pos, st_tmp)
    if ms:
        g = ms
        mt.country, mt.sector = g.country, g.sector
        if g.sector == "IGO" and g.country != "IGO":
            mt.sector = "PTY"
    del sub


def _mentions_light(lex: Lexicon, s: str, pos: int, st: ArticleState) -> Mention | None:
    window = s[pos:pos + 120]
    ms = [m for m in _mentions_noperson(lex, window, st)]
    return ms[0] if ms else None


def _mentions_noperson(lex: Lexicon, s: str, st: ArticleState) -> list[Mention]:
    out = []
    for m in _mentions_core(lex, s, st):
        out.append(m)
    return out


def _mentions_core(lex: Lexicon, s: str, st: ArticleState) -> list[Mention]:
    # a mention pass without free-standing person names (used for appositives)
    saved = _NAME_RE
    res = []
    atoms = _atoms(lex, s)
    i = 0
    while i < len(atoms):
        a = atoms[i]
        if a[2].kind in ("country", "demonym", "capital") and _SPONSOR_RE.match(s[a[1]:]):
            i += 1
            continue
        j = i
        ents = [a[2]]
        while j + 1 < len(atoms) and _JOIN_RE.match(s[atoms[j][1]:atoms[j + 1][0]]):
            j += 1
            ents.append(atoms[j][2])
        actors = [e for e in ents if e.kind == "actor"]
        roles = [e for e in ents if e.kind == "role"]
        geo = [e for e in ents if e.kind in ("country", "demonym", "capital")]
        if actors:
            e = actors[-1]
            res.append(Mention(a[0], atoms[j][1], s[a[0]:atoms[j][1]], e.name, e.country or (geo[0].country if geo else None), e.sector, "actor"))
        elif roles:
            e = roles[-1]
            c = geo[0].country if geo else (e.country if not geo else None)
            sec = e.qualified_sector if (geo and e.qualified_sector) else e.sector
            res.append(Mention(a[0], atoms[j][1], s[a[0]:atoms[j][1]], e.name, c, sec, "role", generic=not geo and not e.country))
        elif geo:
            res.append(Mention(a[0], atoms[j][1], s[a[0]:atoms[j][1]], geo[0].name, geo[0].country, None, "country", bare_country=True))
        i = j + 1
    del saved
    return res


# --------------------------------------------------------------------------- resolution helpers

_PERSON_PRON = {"he", "his", "she", "her"}
_ORG_PRON = {"it", "its"}
_PLUR_PRON = {"they", "their", "them"}


def _resolve_pronoun(word: str, before: list[Mention], st: ArticleState) -> Mention | None:
    w = re.sub(r"\s+", " ", word.lower())
    pool = list(reversed(before)) + list(reversed(st.recent))
    for m in pool:
        if m.kind == "place" or m.locative or (m.country is None and m.sector is None):
            continue
        if w in _PERSON_PRON and m.person:
            return m
        if w in _ORG_PRON and not m.person and not m.plural:
            return m
        if w in _PLUR_PRON and not m.person:
            return m
        if w.startswith("the ") and m.sector in ("REB", "PRM") and not m.person:
            return m
    return None


def _finalize_mention(m: Mention, st: ArticleState) -> Mention:
    if m.generic and m.country is None:
        m.country = st.context_country
    return m


# --------------------------------------------------------------------------- the extractor

_NEG_RE = re.compile(r"\b(?:not|never|no|n't|denied|deny|denies|refused\s+to|failed\s+to|without)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)
_HYPO_RE = re.compile(r"\b(?:if|unless|whether|in\s+case)\b[^,;]*", re.IGNORECASE)
#: What is only hoped for or threatened: "hoped officials would be indicted", "a threat to boycott".
#: The words after the marker (group 1) are not acts; the marker itself may be one (THREATEN).
#: A date in a relative clause about when something began or ended belongs to its antecedent.
_STARTED_ON_RE = re.compile(r"\b(?:which|that)\s+(?:started|began|erupted|broke\s+out|ended|was\s+launched)\s+(?:on|in)\s+$",
                            re.IGNORECASE)
#: A refused act of cooperation is a rejection: "would not provide aid", "refused to meet", "declined to sign".
_COOPERATIVE = {"AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT"}
_REFUSE_RE = re.compile(r"\b(?:would\s+not|will\s+not|won't|wouldn't|refused\s+to|refuses\s+to|declined\s+to|declines\s+to)\s+(?:\w+\s+){0,2}$",
                        re.IGNORECASE)
#: What follows a country used as a modifier ("US drone strike", "Iraqi militia"), not as a place.
_ATTRIBUTIVE_RE = re.compile(r"^[ \t]+(?!(?:on|in|at|and|or|from|to|near|after|before|during|since|for|with|by|as|when|where|while|"
                             r"which|who|that|last|this|earlier|overnight|yesterday|today|early|late|said|says|but)\b)[a-z]")
_WISH_RE = re.compile(r"\b(?:hoped?|hopes|hoping|wish(?:es|ed)?|threats?\s+to)\b([^,;]*)", re.IGNORECASE)
_FUTURE_RE = re.compile(r"\b(?:will|would|shall|could|might|may|vowed\s+to|vows\s+to|threatened\s+to|threatens\s+to|plans?\s+to|planning\s+to|intends?\s+to|wants?\s+to|wanted\s+to|going\s+to|ready\s+to|prepared\s+to)\s+(?:\w+\s+){0,1}$", re.IGNORECASE)
_SPEECH_RE = re.compile(r"\b(?:said|says|say|told|stated|added|announced|confirmed|declared|reported|according\s+to|statement)\b", re.IGNORECASE)
_SPEECH_VERB_RE = re.compile(r"\b(?:said|says|told|stated|added|announced|confirmed|declared|reported)\b")
_AGGREGATE_RE = re.compile(r"\b(?:dozens|hundreds|scores|thousands|series|wave|string|spate|number)\s+of\s+(?:\w+\s+){0,2}$|\b(?:several|repeated|multiple|numerous|many|frequent|recent|past|previous|earlier|\d[\d,]*|two|three|four|five|six|seven|eight|nine|ten)\s+(?:\w+\s+){0,1}$", re.IGNORECASE)
_SUCH_RE = re.compile(r"\b(?:such|similar|these|those)\s+(?:\w+\s+)?$", re.IGNORECASE)
_HABITUAL_RE = re.compile(r"\b(?:there\s+have\s+(?:now\s+)?been|there\s+has\s+been|several\s+times|repeatedly|regularly|frequently|routinely|since\b)", re.IGNORECASE)
_DEF_RE = re.compile(r"\b(?:the|this|that|these|its|their|latest|last)\s+(?:[\w'’-]+\s+){0,2}$", re.IGNORECASE)
_NOUN_CTX_RE = re.compile(r"(?:\b(?:the|a|an|its|their|his|her|our|this|that|these|those|such|of|recent|latest|repeated|retaliatory|deadly|new|further|more|any|no|two|three|several|dozens|\d[\d,]*|first|second|last|unprovoked|brutal|alleged|suspected|apparent|major|fresh|renewed|separate|similar|joint|military|surprise|reiterated)\s+|['’]s\s+|\b(?:U\.S\.|US|American|Israeli|Russian|[A-Z][a-z]+i|[A-Z][a-z]+ian|[A-Z][a-z]+ese)\s+)$")
_VERB_AFTER_RE = re.compile(r"^\s+(?:the|a|an|his|her|its|their|[A-Z])", re.IGNORECASE)
_CLAIM_RE = re.compile(r"\b(?:claim(?:s|ed)?|alleg(?:es|ed)|charg(?:es|ed)|insist(?:s|ed)?)\s+(?:that\s+)?", re.IGNORECASE)
#: Between an accusation and a later accusation word: a new clause makes the later one an act of its own.
_CLAUSE_GAP_RE = re.compile(r"[;.]|\b(?:and|but|while|after|before|when|also)\b|,\s*(?:as|and|but|while)\b|\bas\s+[A-Z]")
#: Stative light verbs: "X enjoys (broad) support", "has the backing of".
_STATIVE_RE = re.compile(r"\b(?:enjoy(?:s|ed|ing)?|lack(?:s|ed|ing)?)\s+(?:(?:the|broad|wide|strong|much|little|some|full|their|its|his|her)\s+){0,2}$",
                         re.IGNORECASE)
_COORD_RE = re.compile(r"(?:,\s*|\s+)(?:as\s+well\s+as|and|or|along\s+with|plus)\s+(?:[\w-]+\s+){0,2}$", re.IGNORECASE)
#: The object of seize/raid/capture that makes it a military attack rather than a confiscation or an arrest.
_TERRITORY_OBJ_RE = re.compile(r"^\s+(?:(?:the|a|an|two|three|four|five|several|dozens\s+of|more|full|\w+ly|key|strategic|strategically|located|deserted|"
                               r"main|nearby|last|rebel-held|government-held|northern|southern|eastern|western|central|coastal|border|military|provincial|regional|"
                               r"army|police|\w+-controlled|\w+-held|but)\s+){0,4}(?:town|towns|village|villages|city|cities|area|areas|district|"
                               r"districts|base|bases|territory|territories|region|province|capital|airport|air\s+base|oil\s+fields?|gas\s+fields?|"
                               r"border\s+(?:point|crossing|post)|hill|hills|posts?|outposts?|camps?|positions?|checkpoints?|neighbou?rhoods?|"
                               r"localities|locality|stronghold|strongholds|site|port|bridge|road|highway|control|parts?\s+of|headquarters|barracks|"
                               r"garrison|compound)\b", re.IGNORECASE)
_DISASTER_RE = re.compile(r"\b(?:crash|crashes|accident|accidents|earthquake|quake|floods?|flooding|landslides?|storm|cyclone|hurricane|typhoon|"
                          r"tsunami|fire|blaze|wildfire|disease|virus|covid|coronavirus|outbreak|epidemic|collapse|stampede|drowning|heatwave|"
                          r"heat\s+wave|avalanche|lightning)\b", re.IGNORECASE)
#: "fired anti-aircraft batteries at Russia", "fired a number of missiles at a water well": an attack on what follows "at".
_FIRED_AT_RE = re.compile(r"\b(?:fired|fires|firing|launched|launches|lobbed|hurled)\s+(?:[\w,-]+\s+){1,5}?(?:at|on|into|towards?)\s+")
_CLAIMED_RE = re.compile(r"\b(?:claim(?:s|ed|ing)?|accept(?:s|ed|ing)?|took|takes|taking|admit(?:s|ted|ting)?)\s+responsibility\s+for\s+(?:the|these|those)\s+$",
                         re.IGNORECASE)
_SAID_RE = re.compile(r"\b(?:said|says|stated|told\s+(?:reporters|journalists|the\s+\w+))\s+(?:that\s+)?")
#: "wants Putin to attack", "expects Iran to release": the act is wished for (an object stands between)
_DESIRE_RE = re.compile(r"\b(?:wants?|wanted|wish(?:es|ed)?|would\s+like|expects?|expected)\s+(?!to\b)(?:[\w'’.-]+\s+){1,4}to\s+(?:\w+\s+)?$",
                        re.IGNORECASE)
#: a noun that is the topic of a meeting or a report
_TOPIC_RE = re.compile(r"\b(?:summit|talks|meeting|conference|discussions?|debate|negotiations|session|hearing|briefing|seminar|forum)\s+"
                       r"(?:(?:in|at)\s+(?:the\s+)?[A-Z][\w-]*(?:\s+[A-Z][\w-]*)?\s+)?"
                       r"(?:on|about|over|regarding|concerning)\s+(?:(?:the|a|an|its|their)\s+)?(?:[\w-]+\s+){0,2}$", re.IGNORECASE)
#: intent to do a cooperative act (CAMEO 03, "express intent to ..."): PLOVER AGREE. A plain "will" is the
#: narrator's announcement of a planned act ("The US will supply arms to Israel") and stays the act.
_INTENT_RE = re.compile(r"\b(?:would|wants?\s+to|wanted\s+to|plans?\s+to|planning\s+to|intends?\s+to|going\s+to|ready\s+to|"
                        r"prepared\s+to|seeks?\s+to|seeking\s+to|sought\s+to)\s+(?:\w+\s+){0,1}$", re.IGNORECASE)
#: people on strike: "striking teachers", "striking mine workers"
_STRIKERS_RE = re.compile(r"^\s+(?:[a-z]+\s+)?(?:workers|teachers|doctors|nurses|miners|employees|staff|drivers|unions?|students|dockers|"
                          r"pilots|farmers|truckers|lecturers|professors|health\s+workers|civil\s+servants|members|porters|labou?rers)\b")
#: "received weapons / assurances / ministers from Y": Y gave aid, made a promise, visited
_RECEIVED_RE = re.compile(r"\breceiv(?:e|ed|es|ing)\s+(?:(?:a|an|the|some|more|new|further|fresh|written|military|financial|economic|"
                          r"humanitarian|senior|top|high-level|\d[\d,]*|two|three|several)\s+)*(?P<obj>[a-z][\w-]*)\s+from\s+(?:the\s+)?")
_RECEIVED_TYPES = (
    (("AID", None), {"weapons", "arms", "aid", "assistance", "funds", "funding", "money", "supplies", "equipment", "ammunition",
                     "loans", "loan", "grant", "grants", "food", "medicine", "medicines", "shelter", "training", "help"}),
    (("AGREE", None), {"assurances", "assurance", "guarantees", "guarantee", "promises", "promise", "pledges", "pledge", "commitments",
                       "commitment"}),
    (("CONSULT", "visit"), {"delegation", "delegations", "envoy", "envoys", "visit", "visitors", "emissary", "emissaries"}),
)
_HOLD_RE = re.compile(r"\b(hold|holds|held|holding)\s+(.{2,80}?)\s+(?:responsible|accountable)\b")
_REQUEST_COMP_RE = re.compile(r"\b(?:calls?\s+for|calling\s+(?:for|on)|called\s+(?:for|on)|urg(?:e|ed|es|ing)|demand(?:s|ed|ing)?|ask(?:s|ed|ing)?|appeal(?:s|ed|ing)?|threaten(?:s|ed|ing)?\s+to|vow(?:s|ed|ing)?\s+to|warn(?:s|ed|ing)?)\b", re.IGNORECASE)


@dataclass
class Cand:
    type: str
    mode: str | None
    trigger: str
    tstart: int
    tend: int
    pos: str
    actor: Mention | None = None
    recipient: Mention | None = None
    date: str | None = None
    precision: str | None = None
    place: tuple | None = None
    dead: int | None = None
    injured: int | None = None
    arrested: int | None = None
    reported: bool = False
    reference: bool = False  # a bare definite/possessive reference ("the strikes", "Thursday's strike")
    plural: bool = False
    casualty_only: bool = False
    bare_reference: bool = False  # a reference with no party of its own ("the attacks")
    speaker_country: str | None = None  # the country of who says (or is the subject of) the sentence
    confidence: float = 0.6
    cluster: int | None = None
    sent_idx: int = 0
    extra_recipients: list = field(default_factory=list)


def _context_country(lex: Lexicon, text: str) -> str | None:
    counts: Counter = Counter()
    for m in lex.proper_re.finditer(text):
        e = lex.proper.get(_norm(m.group(0)))
        if e and e.kind in ("country", "demonym", "capital", "city", "place") and e.country and e.country != "USA":
            if _SPONSOR_RE.match(text[m.end():]):
                continue
            counts[e.country] += 1
    return counts.most_common(1)[0][0] if counts else None


def extract_events(article_id: str, text: str, published: str | None, *, dict_dir: str | Path | None = None) -> list[Event]:
    """PLOVER events of one article (see the module docstring for the rules)."""
    lex = load_lexicon(str(dict_dir) if dict_dir else None)
    pub = _pub_date(published)
    st = ArticleState(_context_country(lex, text))
    cands: list[Cand] = []
    sents = split_sentences(text)
    for si, (a, b) in enumerate(sents):
        s = text[a:b]
        for c in _code_sentence(lex, s, si, pub, st):
            cands.append(c)
    _reconsider(cands)
    cands = _drop_protest_topics(cands)
    cands = _incidents(cands)
    _continue_statement_dates(cands, [text[a:b] for a, b in sents])
    _dates_from_incident_after(cands, [text[a:b] for a, b in sents])
    return _to_events(article_id, text, sents, cands, lex.version, st.context_country, dict_dir)


def _code_sentence(lex: Lexicon, s: str, si: int, pub: date | None, st: ArticleState) -> list[Cand]:
    mentions = _mentions(lex, s, st)
    for m in mentions:
        _finalize_mention(m, st)
    question = s.rstrip(" \"'”’").endswith("?")
    hypo_spans = [(m.start(), m.end()) for m in _HYPO_RE.finditer(s)] + [m.span(1) for m in _WISH_RE.finditer(s)]

    def in_hypo(i: int) -> bool:
        return any(x <= i < y for x, y in hypo_spans)

    actor_mentions = [m for m in mentions if m.kind != "place" and not in_hypo(m.start)]

    # pronouns as mentions
    pron: list[tuple[int, int, str]] = [(m.start(), m.end(), m.group(0)) for m in _PRONOUN_RE.finditer(s)]

    def resolve_at(i: int, j: int, word: str) -> Mention | None:
        w = word.lower()
        if w in ("who", "which", "that"):
            prev = [m for m in actor_mentions if m.end <= i and s[m.end:i].strip(" ,") == ""]
            return prev[-1] if prev else None
        before = [m for m in actor_mentions if m.end <= i]
        r = _resolve_pronoun(word, before, st)
        if r is None:
            return None
        return replace(r, start=i, end=j, text=s[i:j], pp=bool(_PREP_BEFORE_RE.search(_tail(s, i))), conjuncts=())

    speaker = _speaker(s, actor_mentions, pron, resolve_at)

    # --- triggers
    raw = []
    for m in lex.trig_re.finditer(s):
        surf = _norm(m.group(0)).lower()
        opts = lex.triggers.get(surf)
        if not opts:
            continue
        raw.append((m.start(), m.end(), m.group(0), opts))
    # request / threat complements: later triggers are content, not acts
    comp_start = None
    for m in _REQUEST_COMP_RE.finditer(s):
        comp_start = m.end() if comp_start is None else comp_start
        break
    cands: list[Cand] = []
    casualties = [(m.start(), m.end(), lex.casualty[_norm(m.group(0)).lower()]) for m in lex.casualty_re.finditer(s)]
    has_assault_noun = False
    for (ts, te, surf, opts) in raw:
        left = _tail(s, ts, 120) if ts > 120 else s[:ts]
        right = s[te:]
        trig = _choose(opts, left, right, mentions)
        if trig is None:
            continue
        low_surf = surf.lower()
        if trig.type in VERBAL and trig.pos == "noun" and not trig.evaluative and trig.type not in ("REQUEST", "THREATEN"):
            # verbal nouns need an owner ("Iraq's condemnation") - otherwise weak
            pass
        if question or in_hypo(ts):
            continue
        if _NEG_RE.search(left) and trig.type not in ("REJECT",):
            if trig.type in _COOPERATIVE and _REFUSE_RE.search(left):
                trig = replace(trig, type="REJECT", mode=None)  # "said he would not provide support to Israel"
            else:
                continue
        if comp_start is not None and ts >= comp_start and trig.type not in ("REQUEST", "ACCUSE"):
            continue
        if trig.type == "ACCUSE" and not trig.evaluative and any(
                o.type in ("ACCUSE", "REJECT") and o.pos == "verb" and o.tend <= ts and ts - o.tend < 80
                and not _CLAUSE_GAP_RE.search(s[o.tend:ts]) for o in cands):
            continue  # "condemned Rwanda's allegations", "accused Rwanda of making accusations": the content, not a new act
        if trig.type == "AGREE" and trig.pos == "verb" and re.match(r"^\s+(?:to\s+)?(?:\w+\s+){0,1}$", right[:30] + " ") is None \
                and _agrees_to_an_act(lex, right):
            continue  # "agreed to lift the sanctions", "pledged to expel the leaders": the act (ease, expel) is coded
        if trig.type == "AGREE" and trig.pos == "noun" and any(
                o[1] <= ts and ts - o[1] < 40 and any(t.type in ("SUPPORT", "REJECT") and t.pos == "verb" for t in o[3]) for o in raw):
            continue  # "endorsed an association agreement", "ratified the accord": the endorsement is the act
        if _STATIVE_RE.search(left):
            continue  # "the step enjoyed support from Moscow": a state of affairs, not an act
        if _not_an_act(lex, trig, surf, left, right, raw, ts):
            continue
        if trig.type not in ("REQUEST", "ACCUSE") and _DESIRE_RE.search(left):
            continue  # "Obama wants Putin to attack Switzerland": a wish, not an act
        if trig.pos == "noun" and _TOPIC_RE.search(left):
            continue  # "a summit on the unrest in Iran": the topic of a meeting is not an act
        if trig.type == "CONSULT" and trig.pos == "verb" and re.search(r"\bto\s+$", left) and any(
                o.type == "CONSULT" and o.tend <= ts and ts - o.tend < 120 and not re.search(r"[;.]", s[o.tend:ts]) for o in cands):
            continue  # "met with Assad to discuss efforts to counter IS": the purpose of the meeting, not a second one
        if trig.type == "COERCE" and trig.mode == "arrest" and trig.pos == "verb" and _background_arrest(lex, surf, left, right, raw, ts):
            continue  # "the release of X, who had been arrested 15 months ago": the background of the release
        if trig.pos == "noun" and _SUCH_RE.search(left) and trig.type == "ASSAULT":
            continue  # a reference back to an aggregate
        if trig.pos == "verb" and surf.lower().endswith("ing") and any(
                o[1] <= ts and ts - o[1] <= 2 and any(t.pos == "noun" for t in o[3]) for o in raw):
            continue  # "attacks targeting X": the noun carries the event
        if surf.lower() in lex.casualty and trig.type == "ASSAULT" and _DISASTER_RE.search(right[:70]) and not any(
                o[0] != ts and any(t.type == "ASSAULT" for t in o[3]) and o[2].lower() not in lex.casualty for o in raw):
            continue  # "victims killed by the MH17 crash", "died in the floods": not an attack
        casualty_only = False
        if surf.lower() in lex.casualty and trig.type == "ASSAULT":
            # "killed" makes an event only when nothing else in the sentence does; else it lends its participants
            if any(o[0] != ts and any(t.type == "ASSAULT" for t in o[3]) and o[2].lower() not in lex.casualty for o in raw):
                casualty_only = True
        typ, mode = trig.type, trig.mode
        if typ in ("COERCE", "ASSAULT") and mode in ("seize", "abduct") and trig.pos == "verb" and _TERRITORY_OBJ_RE.match(right):
            typ, mode = "ASSAULT", None  # "militants seized a village", "raided a military base": taking ground by force
        if typ == "COERCE" and trig.pos == "verb" and re.search(r"\bto\s+$", left) and any(
                o[1] <= ts and ts - o[1] < 80 and any(t.type == "ASSAULT" for t in o[3]) for o in raw):
            continue  # "fired tear gas to disperse the crowd": the purpose of the assault, not a second act
        if trig.pos == "verb" and typ in ("ASSAULT", "COERCE") and _FUTURE_RE.search(left):
            typ, mode = "THREATEN", ("arrest" if typ == "COERCE" and mode == "arrest" else "violence")
        elif trig.pos == "verb" and typ in ("AID", "RETREAT", "COOPERATE", "CONCEDE") and _INTENT_RE.search(left):
            typ, mode = "AGREE", None  # "announced it would free 150 prisoners", "wants to help Israel": intent (CAMEO 03)
        if typ == "ASSAULT" and low_surf == "striking" and _STRIKERS_RE.match(right):
            typ, mode = "PROTEST", "strike"  # "striking teachers": workers on strike, not an attack
        c = Cand(typ, mode, surf, ts, te, trig.pos, sent_idx=si, casualty_only=casualty_only)
        c.plural = trig.pos == "noun" and surf.lower().endswith("s") and not surf.lower().endswith("ss")
        if typ == "ASSAULT" and trig.pos == "noun":
            has_assault_noun = True
            if _DEF_RE.search(left) or re.search(r"['’]s\s+(?:[\w-]+\s+)?$", left):
                c.reference = True
            if _AGGREGATE_RE.search(left):
                c.reported = True
        _roles_for(lex, s, c, trig, mentions, actor_mentions, pron, resolve_at, speaker, st)
        if typ == "PROTEST" and low_surf == "striking":
            strikers = [m for m in actor_mentions if te <= m.start <= te + 25]
            c.actor, c.recipient = (strikers[0] if strikers else None), None
        if trig.evaluative and c.actor is None:
            continue
        if c.reference and c.recipient is None and _CLAIMED_RE.search(left):
            continue  # "claimed responsibility for the attacks": PLOVER drops the claim; the attacks are coded where told
        if typ == "RETREAT" and trig.pos == "noun" and re.search(r"\b(?:would|will|could)\b", left):
            # "X said it would end in Y's withdrawal": forcing another's withdrawal is a threat to expel
            if c.actor is not None and speaker is not None and c.actor.country != speaker.country:
                c.recipient, c.actor = c.actor, speaker
                c.type, c.mode = "THREATEN", "expel"
            elif c.actor is not None:
                c.type = "CONCEDE"
        cands.append(c)
    del has_assault_noun
    # coordinated nouns share the agent: "announced asset freezes ..., as well as economic sanctions against ..."
    for i, c in enumerate(cands):
        if c.actor is None and c.pos == "noun":
            prev = [p for p in cands[:i] if p.type == c.type and p.actor is not None and p.tend <= c.tstart]
            if prev and c.tstart - prev[-1].tend < 160 and _COORD_RE.search(s[prev[-1].tend:c.tstart]) \
                    and not _SPEECH_RE.search(s[prev[-1].tend:c.tstart]) and not re.search(r"[;.]", s[prev[-1].tend:c.tstart]):
                c.actor = prev[-1].actor
    for c in cands:
        c.speaker_country = speaker.country if speaker is not None else None
    # "fired anti-aircraft batteries at Russia": an attack on the object of "at"
    for m in _FIRED_AT_RE.finditer(s):
        if question or in_hypo(m.start()) or _NEG_RE.search(_tail(s, m.start())) or any(
                c.type == "ASSAULT" and m.start() - 30 <= c.tstart <= m.end() for c in cands):
            continue
        c = Cand("ASSAULT", None, m.group(0).strip()[:40], m.start(), m.end(), "verb", sent_idx=si, confidence=0.6)
        subj = [x for x in actor_mentions if x.end <= m.start() and not x.pp and not x.locative]
        obj = [x for x in actor_mentions if m.end() <= x.start < m.end() + 4]
        objp = [x for x in mentions if x.kind == "place" and m.end() <= x.start < m.end() + 40]
        c.actor = subj[-1] if subj else None
        c.recipient = obj[0] if obj else (replace(objp[0], sector="CVL") if objp else None)
        c.actor, c.recipient = (replace(x, sector="MIL") if x is not None and x.bare_country and x.sector is None else x
                                for x in (c.actor, c.recipient))
        if _FUTURE_RE.search(_tail(s, m.start())):
            c.type, c.mode = "THREATEN", "violence"
        if c.actor is not None or c.recipient is not None:
            cands.append(c)
    # "X holds Y responsible for ...": an allegation
    for m in _HOLD_RE.finditer(s):
        if question or in_hypo(m.start()) or _NEG_RE.search(_tail(s, m.start())):
            continue
        c = Cand("ACCUSE", "allege", m.group(0)[:40], m.start(), m.end(), "verb", sent_idx=si, confidence=0.6)
        inner = [x for x in actor_mentions if m.start(2) <= x.start < m.end(2)]
        subj = [x for x in actor_mentions if x.end <= m.start() and not x.pp]
        c.actor = subj[-1] if subj else speaker
        c.recipient = inner[0] if inner else None
        if c.actor and c.recipient:
            cands.append(c)

    # "demonstrators received weapons from the government": what is received from someone is what they gave
    for m in _RECEIVED_RE.finditer(s):
        if question or in_hypo(m.start()) or _NEG_RE.search(_tail(s, m.start())):
            continue
        obj = _norm(m.group("obj")).lower()
        got = next((t for t, words in _RECEIVED_TYPES if obj in words), None)
        if got is None and any(r is not None and r.person for r in (lex.roles.get(obj), lex.roles.get(obj[:-1]))):
            got = ("CONSULT", "visit")  # "received ministers from the government": hosting a visit (CAMEO 043)
        giver = [x for x in actor_mentions if m.end() - 4 <= x.start <= m.end()]
        subj = [x for x in actor_mentions if x.end <= m.start() and not x.pp and not x.locative]
        if got is None or not giver or not subj or any(c0.tstart < m.end() and c0.tend > m.start() for c0 in cands):
            continue
        c = Cand(got[0], got[1], m.group(0).strip()[:40], m.start(), m.end(), "verb", sent_idx=si, confidence=0.55)
        c.actor, c.recipient = giver[0], subj[-1]
        c.actor, c.recipient = (replace(x, sector="GOV") if x.bare_country and x.sector is None else x for x in (c.actor, c.recipient))
        cands.append(c)

    # "the US claimed that ISIL had attacked Iraq": an allegation against the embedded act's actor
    # (ACCUSE US -> ISIL), and the act itself is only reported
    for m in _CLAIM_RE.finditer(s):
        if question or in_hypo(m.start()) or _NEG_RE.search(_tail(s, m.start())):
            continue
        inner = [c for c in cands if c.type in MATERIAL and c.tstart >= m.end() and c.actor is not None]
        subj = [x for x in actor_mentions if x.end <= m.start() and not x.pp]
        claimant = subj[-1] if subj else speaker
        if not inner or claimant is None or not claimant.country or inner[0].actor.country in (None, claimant.country):
            continue
        c = Cand("ACCUSE", "allege", m.group(0).strip()[:40], m.start(), m.end(), "verb", sent_idx=si, confidence=0.55)
        c.actor, c.recipient = claimant, inner[0].actor
        inner[0].reported = True
        cands.append(c)

    # "The US said that Iraq had attacked ...", "Israel said a mortar bomb was fired at it from Gaza": a hostile act
    # the speaker says another party did before ("had attacked") or did, in the passive, to the speaker itself is an accusation
    # (ACCUSE speaker -> doer); the act itself stays, as reported
    for m in _SAID_RE.finditer(s):
        if question or in_hypo(m.start()) or _NEG_RE.search(_tail(s, m.start())):
            continue
        subj = [x for x in actor_mentions if x.end <= m.start() and not x.pp and not x.locative
                and not re.search(r"[,;.]", s[x.end:m.start()])]
        claimant = subj[-1] if subj else None
        if claimant is None or not claimant.country:
            continue
        for c0 in [c for c in cands if c.type in ("ASSAULT", "COERCE") and c.tstart >= m.end() and c.actor is not None
                   and c.actor.country and c.actor.country != claimant.country and not re.search(r"[;.]", s[m.end():c.tstart])]:
            pluperfect = re.search(r"\bhad\s+(?:been\s+)?(?:\w+ly\s+)?$", s[:c0.tstart])
            # the speaker as the victim of a passive act it attributes ("a mortar bomb was fired at it from Gaza");
            # not its own report of a fight ("CENTCOM said it had struck militants who struck the base")
            against_speaker = (c0.recipient is not None and c0.recipient.country == claimant.country
                               and re.search(r"\b(?:was|were|been|being|is|are)\s+(?:\w+ly\s+)?$", s[:c0.tstart]))
            if not (pluperfect or against_speaker) or any(
                    x.type == "ACCUSE" and x.actor is not None and x.actor.country == claimant.country
                    and x.recipient is not None and x.recipient.country == c0.actor.country for x in cands):
                continue
            c = Cand("ACCUSE", "allege", m.group(0).strip()[:40], m.start(), m.end(), "verb", sent_idx=si, confidence=0.5)
            c.actor, c.recipient = replace(claimant, sector=claimant.sector or "GOV"), c0.actor
            c0.reported = True
            cands.append(c)
            break

    for k in [c for c in cands if c.casualty_only]:
        cands.remove(k)
        host = _nearest([c for c in cands if c.type == "ASSAULT"], k.tstart)
        if host is not None:
            host.actor = host.actor or k.actor
            host.recipient = host.recipient or k.recipient
    # casualties
    for (cs, ce, kind) in casualties:
        n, subj = _casualty_count(s, cs, ce)
        target = _nearest([c for c in cands if c.type == "ASSAULT"], cs)
        if target is None:
            continue
        if n is not None:
            if kind == "dead":
                target.dead = max(target.dead or 0, n)
            else:
                target.injured = max(target.injured or 0, n)
        if target.recipient is None:
            # passive subject ("eight of its members had been killed") or active object
            rec = None
            lm = re.search(r"(?:of\s+)?(its|their|his)\s+(?:members|fighters|men|commanders|leaders)\b[^.]{0,25}$", s[:cs])
            if lm:
                rec = resolve_at(lm.start(1), lm.end(1), lm.group(1))
            if rec is None and re.search(r"\b(?:was|were|been|being|are|is)\s+$", s[:cs]):
                before = [m for m in actor_mentions if m.end <= cs and not m.pp]
                rec = before[-1] if before else None
            if rec is None:
                after = [m for m in actor_mentions if ce < m.start <= ce + 3]
                rec = after[0] if after else None
            if rec is not None:
                target.recipient = rec
    for m in _DEAD_ADJ_RE.finditer(s):
        target = _nearest([c for c in cands if c.type == "ASSAULT"], m.start())
        n = parse_number(m["n"])
        if target and n is not None:
            if m["k"].lower() == "dead":
                target.dead = target.dead or n
            else:
                target.injured = target.injured or n

    # arrests: "police arrested 20 students", "six people were detained"
    for c in cands:
        if c.type == "COERCE" and c.mode == "arrest" and c.arrested is None and c.pos == "verb":
            c.arrested = _casualty_count(s, c.tstart, c.tend)[0]

    # dates
    dates = find_dates(s, pub)
    for d in dates:
        if d.since:
            for c in cands:
                c.reported = True
            continue
        if d.value is None:
            continue
        rel = _STARTED_ON_RE.search(s[:d.start])
        if rel:  # "the war in Gaza, which started on Oct. 7": the date is the antecedent's, no one else's
            before = [c for c in cands if c.tend <= rel.start()]
            if before and before[-1].date is None:
                before[-1].date, before[-1].precision = d.value, d.precision
            continue
        speech = re.search(r"\b(?:said|says|told|announced|confirmed)\s+(?:on\s+)?$", s[:d.start])
        targets = [c for c in cands if c.type in VERBAL] if speech else []
        if not targets:
            near = _nearest([c for c in cands if c.date is None], d.start if not d.possessive else d.end + 8)
            targets = [near] if near else []
        for c in targets:
            if c.date is None:
                c.date, c.precision = d.value, d.precision
    undated_sentence_dates = [d for d in dates if not d.since and d.value
                              and not re.search(r"\b(?:said|says|told|announced|confirmed)\s+(?:on\s+)?$", s[:d.start])
                              and not _STARTED_ON_RE.search(s[:d.start])]
    if len(undated_sentence_dates) == 1:
        for c in cands:
            if c.date is None and c.type in MATERIAL and not c.reported:
                c.date, c.precision = undated_sentence_dates[0].value, undated_sentence_dates[0].precision
    if _HABITUAL_RE.search(s):
        for c in cands:
            if c.type in MATERIAL:
                c.reported = True

    # places: gazetteer entries after a locative preposition attach to the nearest material event
    # (a country named as a modifier is not a place: "in a US drone strike in Baghdad")
    places = [m for m in mentions if m.locative and m.country and not _ATTRIBUTIVE_RE.match(s[m.end:])]
    for p in places:
        near = _nearest([c for c in cands if c.type in MATERIAL], p.start)
        if near is not None and (near.place is None or (near.place[2] == "country" and p.kind == "place")):
            near.place = (p.name, p.country, p.kind)

    # ASSAULT mode cues
    cue_modes = [lex.cues[_norm(m.group(0)).lower()] for m in lex.cue_re.finditer(s)]
    for c in cands:
        if c.type == "ASSAULT" and c.mode is None and cue_modes:
            c.mode = cue_modes[0]

    # remember actors for later pronouns
    resolved = [m for m in actor_mentions if (m.country or m.sector) and not m.locative]
    st.recent.extend(resolved)
    del st.recent[:-30]
    return cands


_PARTICIPLE_ADJ_LEFT_RE = re.compile(r"(?:^|[\"“(]|\b(?:the|a|an|of|for|with|their|its|his|her|these|those|some|two|three|several|many|against|on|to)\s+)$",
                                     re.IGNORECASE)
_NOT_NOUN_AFTER_RE = re.compile(r"^\s+(?:by|in|on|at|to|that|as|from|with|after|before|during|and|or|but|for|of|into|over|since|until|when|while|"
                                r"was|were|is|are|been|had|has|have|the|a|an|his|her|their|its|him|them|it|this|these|those|\d)\b", re.IGNORECASE)
_AUX_LEFT_RE = re.compile(r"\b(?:was|were|been|being|is|are|be|has|have|had|get|got|gets|getting)\s+(?:\w+ly\s+)?$", re.IGNORECASE)
_PUBLICATION_RE = re.compile(r"\b(?:report|reports|statement|video|videos|footage|figures|data|results|list|findings|photos?|images?|documents?|"
                             r"recording|audio|book|film|album|study|survey|poll|record|transcript|communiqu[eé]|tape)\b", re.IGNORECASE)
_ARTICLE_LEFT_RE = re.compile(r"\b(?:a|an|the)\s+(?:(?!(?:to|of|and|or|that|who|which|in|on|at|for|with|by|from|would|will|could|can|may|might|must|should|did|does|do)\b)[\w-]+\s+){0,2}$",
                              re.IGNORECASE)
_MANNER_SUPPORT_RE = re.compile(r"\b(?:in|with(?:\s+the)?|under|without(?:\s+the)?)\s+(?:\w+\s+)?$", re.IGNORECASE)
_RESCUE_COMPOUND_RE = re.compile(r"^[\s-]+(?:service|services|team|teams|workers?|group|groups|officials?|operations?|efforts?|missions?|crews?|agency|centre|center)\b",
                                 re.IGNORECASE)


_BACKGROUND_ARREST_RIGHT_RE = re.compile(r"^\s+(?:for|since|over|in|on|last|earlier|without|under|after|\d|a\s+year|two|three|four|five|six|several|many|months|years)\b",
                                         re.IGNORECASE)


#: a verb followed by its object (a determiner, a number, a pronoun or a name)
_VERB_OBJECT_RE = re.compile(r"^\s+(?:the|a|an|his|her|their|its|our|him|them|us|all|some|more|over|about|up\s+to|nearly|\d|[A-Z])")


def _background_arrest(lex: Lexicon, surf: str, left: str, right: str, raw, ts: int) -> bool:
    """An arrest told as the background of a release in the same sentence: "the release of X, who had been arrested
    15 months ago", "the mayor, a Hamas member jailed over a year ago", "civilians imprisoned for acting against
    Moscow were released": a participle describing the freed, not a new arrest."""
    if not surf.lower().endswith("ed") or not any(
            o[0] != ts and any(t.type == "RETREAT" and t.mode == "release" for t in o[3]) for o in raw):
        return False
    if re.search(r"\b(?:had|has|have)\s+been\s+$", left):
        return True
    return not _AUX_LEFT_RE.search(left) and bool(re.search(r"[a-z]\s+$", left)) and bool(_BACKGROUND_ARREST_RIGHT_RE.match(right))


def _agrees_to_an_act(lex: Lexicon, right: str) -> bool:
    """Whether "agree to …" / "pledge to …" is followed at once by a verb trigger of another type."""
    m = re.match(r"^\s+to\s+", right) if not right.lstrip().lower().startswith("to ") else re.match(r"^\s*to\s+", right)
    if m is None:
        if right[:1] != " ":
            return False
        m = re.match(r"^\s*", right)
    t = lex.trig_re.match(right, m.end())
    return bool(t) and any(x.type != "AGREE" and x.pos == "verb" for x in lex.triggers.get(_norm(t.group(0)).lower(), []))


def _not_an_act(lex: Lexicon, trig: Trigger, surf: str, left: str, right: str, raw, ts: int) -> bool:
    """Trigger words that, here, name no act: participles used as adjectives ("banned chlorine munitions",
    "alleged bandits"), reduced relatives describing an entity ("a man accused of theft", "militants backed by
    Ankara"), a verb used as a noun ("defied a ban"), a released report, support as a manner ("in support of"),
    a rescue service, a deployment of a weapon that is itself the act ("deployed tear gas")."""
    low = surf.lower()
    if trig.pos == "verb":
        if low.endswith("ed") and _PARTICIPLE_ADJ_LEFT_RE.search(left) and re.match(r"^\s+[a-z]", right) and not _NOT_NOUN_AFTER_RE.match(right):
            return True  # "Banned chlorine munitions", "the release of detained activists"
        if low == "alleged" and re.match(r"^\s+[a-z]", right) and not re.match(r"^\s+(?:that|to|in|on|by|the|a|an)\b", right):
            return True  # "alleged bandits"
        if trig.type in ("ACCUSE", "SUPPORT", "AID") and low.endswith("ed") and re.match(r"^\s+(?:of|by)\b", right) \
                and not _AUX_LEFT_RE.search(left) and re.search(r"[a-z]\s+$", left):
            return True  # "a man accused of being …", "militants backed by Ankara": a description of the entity
        if _ARTICLE_LEFT_RE.search(left) and all(t.pos == "verb" for t in lex.triggers.get(low, [])) \
                and not re.search(r"(?:ed|ing|s)$", low) and " " not in low:
            return True  # "defied a ban", "a local government ban", "an Islamic State target": the verb used as a noun
        if trig.type == "RETREAT" and trig.mode == "release" and (_PUBLICATION_RE.search(left[-25:]) or _PUBLICATION_RE.match(
                re.sub(r"^\s+(?:(?:a|an|the|its|their|his|her|new|latest|first|joint|\d[\w-]*)\s+){0,3}", "", right) or "x")):
            return True  # "a report released Tuesday", "released a statement"
        if trig.type == "MOBILIZE" and any(o[0] > ts and o[0] - ts < len(surf) + 25 and any(t.type == "ASSAULT" and t.pos == "noun" for t in o[3])
                                           for o in raw):
            return True  # "deployed tear gas": the tear gas is the act
    if low == "free" and (surf[:1].isupper() and left.strip() or not _VERB_OBJECT_RE.match(right)):
        return True  # "free trade", "free speech", "Free Tibet" banners: an adjective, not "free the prisoners"
    if trig.type == "AID" and low.startswith("help") and (not _VERB_OBJECT_RE.match(right) or (
            re.search(r"\bto\s+$", left) and not _INTENT_RE.search(left))):
        return True  # "helped to plan", "help identify victims": helping is aid only when someone is helped
    if trig.type == "SUPPORT" and low.startswith("support") and _MANNER_SUPPORT_RE.search(left):
        return True  # "protests in support of Navalny", "with the support of AU soldiers"
    if trig.type == "AID" and low.startswith("rescue") and _RESCUE_COMPOUND_RE.match(right):
        return True  # "a rescue service operating in …"
    return False


def _choose(opts: list[Trigger], left: str, right: str, mentions: list[Mention]) -> Trigger | None:
    if left.endswith("-"):
        return None
    nouns = [o for o in opts if o.pos == "noun"]
    verbs = [o for o in opts if o.pos == "verb"]
    if nouns and verbs:
        noun_ctx = (bool(_NOUN_CTX_RE.search(left)) or bool(re.search(r"(?:^|[\"“‘(])\s*$", left))
                    or bool(re.match(r"^\s+(?:on|against|by|in|at|were|was|have|had|has|that|which|came|comes|\w+ing\b|,)", right)))
        return nouns[0] if noun_ctx else verbs[0]
    return (nouns or verbs or [None])[0]


def _speaker(s: str, mentions: list[Mention], pron, resolve_at) -> Mention | None:
    """Who says the sentence: subject of said/told/..., "according to X", or the attribution tail."""
    for m in _SPEECH_VERB_RE.finditer(s):
        before = [x for x in mentions if x.end <= m.start() and not x.pp and not x.locative]
        prons = [p for p in pron if p[1] <= m.start() and p[2].lower() in ("it", "he", "she", "they")]
        cand = before[-1] if before else None
        if prons and (cand is None or prons[-1][0] > cand.end):
            r = resolve_at(*prons[-1])
            if r is not None:
                cand = r
        if cand is None:  # "..., said X"
            after = [x for x in mentions if x.start >= m.end() and x.start - m.end() < 4]
            cand = after[0] if after else None
        if cand is not None:
            return cand
    m = re.search(r"\baccording\s+to\s+", s)
    if m:
        after = [x for x in mentions if x.start >= m.end()]
        if after:
            return after[0]
    # attribution tail without a verb: '..., government spokesperson Basim al-Awadi Wednesday.'
    tail = [x for x in mentions if x.start > len(s) * 0.6 and x.person]
    if tail:
        return tail[-1]
    # sentence subject
    first = [x for x in mentions if not x.pp and not x.locative]
    if first and first[0].start < 40:
        return first[0]
    return None


def _nearest(cands: list[Cand], pos: int) -> Cand | None:
    best, bd = None, None
    for c in cands:
        d = 0 if c.tstart <= pos < c.tend else min(abs(pos - c.tstart), abs(pos - c.tend))
        if bd is None or d < bd:
            best, bd = c, d
    return best


_PREMOD_GAP_RE = re.compile(r"(?:['’]s)?\s+(?:(?!(?:the|a|an|its|their|his|her|to|of|and|or|that|which|who)\s)[a-z][\w-]*(?:ed|ive|al|ic|ian|ary|ent|ant|ing|y|le|ous|ful|ern|ial)?\s+){0,2}|-")
_NOUN_RECIP_GAP_RE = re.compile(r"^\s*(?:(?:that|which|who)\s+(?:\w+\s+)?(?:killed|targeted|hit|struck|wounded)\s+|(?:[\w'’,-]+\s+){0,5}?(?:on|against|targeting|at|into|toward|towards|containing|for)\s+)(?:\S+\s+){0,8}?$")
#: a mention that is the subject of the sentence's attribution: "..., US Deputy Secretary of Energy Jeffrey Kupfer said"
_ATTRIBUTION_RE = re.compile(r"[^,;.]{0,40}?\b(?:said|says|told|stated)\b")
#: events that happen somewhere and, with no named counterpart, concern the host country
_HOSTED = {"PROTEST", "CONSULT", "MOBILIZE"}
_DURING_RE = re.compile(r"\b(?:during|on|after|in\s+the\s+course\s+of)\s+(?:a|an)\s+(?:[\w-]+\s+){0,2}$", re.IGNORECASE)
#: a sentence whose subject is a document: "A 500-page report released Tuesday in the Rwandan capital alleged ..."
_PUBLICATION_SUBJECT_RE = re.compile(r"^\W*(?:an?|the)\s+(?:[\w-]+\s+){0,2}(?:report|study|statement|document|dossier|communiqu[eé]|inquiry|investigation)\b"
                                     r"(?:\s+(?:released|published|issued|made\s+public|presented|drawn\s+up)\b)?[^,;:]{0,80}$", re.IGNORECASE)
_BY_RE = re.compile(r"^[^.;]{0,60}?\bby\s+")
#: the agent of a passive, behind at most two adverbials: "were released yesterday by Putin"
_PASSIVE_BY_RE = re.compile(r"^\s+(?:(?:yesterday|today|tonight|overnight|later|again|earlier|also|reportedly|allegedly|"
                            r"(?:on|last|this|early|late)\s+[A-Z]?[a-z]+)\s+){0,2}by\s+")
_PASSIVE_FROM_RE = re.compile(r"^(?:\s+(?:it|them|him|her|us|the\s+\w+|[A-Z][\w-]+))?\s+from\s+(?:the\s+|across\s+the\s+)?")
_RECIP_PREP_RE = re.compile(r"^\s*(?:[\w-]+\s+){0,1}(?:on|against|targeting|at|into|toward|towards|for|to)\s+")
_CLAUSE_END_RE = re.compile(r"[;:]|,\s*(?:according|said|says|calling|which|who|while|as|but|with|including|and\s+(?:the\s+)?[A-Z])|\bsaid\b|\bif\b|\bafter\b|\bbefore\b|\bwhen\b|\bthough\b|\bbecause\b|—")


def _crosses_other_trigger(lex: Lexicon, gap: str, typ: str) -> bool:
    """Whether ``gap`` (between a noun trigger and a candidate recipient) holds a trigger of another type."""
    for m in lex.trig_re.finditer(gap):
        opts = lex.triggers.get(_norm(m.group(0)).lower()) or []
        if opts and all(t.type != typ for t in opts):
            return True
    return False


def _roles_for(lex, s, c: Cand, trig: Trigger, mentions, actor_mentions, pron, resolve_at, speaker, st) -> None:
    ts, te = c.tstart, c.tend
    left, right = _tail(s, ts, 120), s[te:]
    base = max(0, ts - 120)  # offset of ``left`` in ``s``
    cm = _CLAUSE_END_RE.search(right)
    clause_end = te + (cm.start() if cm else len(right))

    def right_mentions(lo: int, hi: int) -> list[Mention]:
        out = [m for m in actor_mentions if lo <= m.start < hi]
        for p in pron:
            if lo <= p[0] < hi and p[2].lower() not in ("who", "which", "that"):
                r = resolve_at(*p)
                if r is not None:
                    out.append(r)
        return sorted(out, key=lambda m: m.start)

    def subject_before(pos: int) -> Mention | None:
        cands_m = [m for m in actor_mentions if m.end <= pos and not m.pp and not m.locative]
        best = cands_m[-1] if cands_m else None
        for p in pron:
            if p[1] <= pos and (best is None or p[0] > best.end) and not _PREP_BEFORE_RE.search(s[:p[0]]):
                if p[2].lower() in ("his", "her", "its", "their") and not re.match(r"\s+\w+\s*$", s[p[1]:pos]):
                    continue
                r = resolve_at(*p)
                if r is not None:
                    best = r
        return best

    def with_sector(m: Mention | None) -> Mention | None:
        if m is None:
            return None
        if m.bare_country and m.sector is None:
            m = replace(m, sector="MIL" if c.type == "ASSAULT" else "GOV")
        if c.type == "ASSAULT" and m.conjuncts:
            reb = [x for x in (m,) + tuple(m.conjuncts) if x.sector == "REB"]
            if reb and m.sector != "REB":
                m = replace(reb[0], start=m.start, end=m.end)
        return m

    actor = recipient = None
    if trig.evaluative:
        actor = speaker
        # "violation of the coalition's mission": the possessor is blamed, unless the noun is a victim noun
        pm = re.match(r"^\s*(?:[\w'’-]+\s+){0,2}?(?:of\s+)?", right)
        after = right_mentions(te, te + 50)
        for m in after:
            poss = re.match(r"^['’]s\s+(\w+)", s[m.end:])
            if m.end <= te + 50 and (poss and poss.group(1).lower() not in lex.victim_nouns):
                recipient = m
                break
        if recipient is None:
            pre = [m for m in actor_mentions if m.end <= ts and s[m.end:ts].strip(" \"'“‘") == "" ]
            if pre and (speaker is None or pre[-1].country != speaker.country):
                recipient = pre[-1]
        del pm
        c.confidence = 0.45
    elif trig.conduct:
        recipient = subject_before(ts)
        actor = speaker
        c.confidence = 0.45
    elif trig.pos == "verb":
        passive = re.search(r"\b(?:was|were|been|being|is|are|be)\s+(?:\w+ly\s+)?$", left)
        if passive:
            recipient = subject_before(ts)
            bm = _PASSIVE_BY_RE.match(right)
            if bm:
                rm = right_mentions(te + bm.end(), te + bm.end() + 60)
                actor = rm[0] if rm else None
            elif c.type == "ASSAULT":
                # "a mortar bomb was fired at it from the Gaza Strip": where the fire came from is who fired it
                fm = _PASSIVE_FROM_RE.match(right)
                org = [m for m in mentions if m.country and te + fm.end() - 4 <= m.start <= te + fm.end()] if fm else []
                if org and (recipient is None or org[0].country != recipient.country):
                    actor = org[0]
        else:
            rel = re.search(r"\b(?:who|which|that)\s+(?:\w+\s+){0,1}$", left)
            if rel:
                actor = resolve_at(base + rel.start(), base + rel.start() + 3, rel.group(0).split()[0])
            if actor is None:
                actor = subject_before(ts)
            if actor is None and c.type in VERBAL:
                pub = _PUBLICATION_SUBJECT_RE.match(s[:ts])
                org = [m for m in mentions if pub and m.country and m.country != "IGO" and m.end <= ts] if pub else []
                if org:
                    actor = replace(org[0], sector=None, locative=False, pp=False)  # "a report released in Kigali alleged": Rwanda's
            rm = [m for m in right_mentions(te, clause_end + 1)]
            rm = [m for m in rm if not (m.kind == "country" and m.locative)]
            # "..., US Deputy Secretary of Energy Jeffrey Kupfer said": who tells it is not the one acted on
            rm = [m for m in rm if not _ATTRIBUTION_RE.match(s, m.end)]
            if rm:
                recipient = rm[0]
                if recipient.bare_country and re.match(r"^['’]s\b", s[recipient.end:]) and c.type not in VERBAL:
                    recipient = recipient
        c.confidence = 0.7
    else:  # noun
        # premodifier: "US airstrikes", "Israeli tank shelling", "its onslaught", "Israel-Hamas war"
        pre = [m for m in actor_mentions if m.end <= ts and _PREMOD_GAP_RE.fullmatch(s[m.end:ts] + (" " if s[m.end:ts] == "" else ""))]
        pre = [m for m in pre if m.end >= ts - 40]
        pair = re.search(r"\b([A-Z][\w.]*)-([A-Z][\w]*)\s+$", left)
        if pair:
            p1 = base + pair.start(1)
            a_m = [m for m in actor_mentions if m.start <= p1 < m.end or m.start == p1]
            b_m = [m for m in lex.proper_re.finditer(pair.group(2))]
            if a_m and b_m:
                e = lex.proper.get(_norm(b_m[0].group(0)))
                actor = a_m[-1]
                if e:
                    recipient = Mention(base + pair.start(2), base + pair.end(2), pair.group(2), e.name, e.country, e.sector, e.kind)
        if actor is None and pre:
            actor = pre[-1]
        if actor is None:
            pm = re.search(r"\b(its|their|his|her)\s+(?:[\w-]+\s+){0,2}$", left)
            if pm:
                actor = resolve_at(base + pm.start(1), base + pm.end(1), pm.group(1))
        if actor is None:
            bm = _BY_RE.match(right)
            if bm and te + bm.end() <= clause_end + 5:
                rm = right_mentions(te + bm.end(), te + bm.end() + 25)
                if not rm:
                    pm2 = re.match(r"(the\s+groups?|the\s+militias?|the\s+militants|it|them)\b", s[te + bm.end():], re.IGNORECASE)
                    if pm2:
                        r = resolve_at(te + bm.end(), te + bm.end() + pm2.end(), pm2.group(1))
                        rm = [r] if r else []
                actor = rm[0] if rm else None
        if actor is None:
            fm = re.match(r"^\s+from\s+", right)
            if fm:
                rm = right_mentions(te + fm.end(), te + fm.end() + 4)
                actor = rm[0] if rm else None
        if actor is None:
            # light verb: "U.S. forces carried out a drone strike", "it had conducted airstrikes"
            lv = None
            for m in lex.light_re.finditer(s, max(0, ts - 60), ts):
                if c.reference and m.group(0).lower().startswith("us"):
                    continue  # "groups used the airstrikes to ...": using a reference is not doing it
                if re.fullmatch(r"\s+(?:[\w'’-]+\s+){0,4}", s[m.end():ts] + " ") or s[m.end():ts].strip() == "":
                    lv = m
            if lv is not None:
                actor = subject_before(lv.start())
                obj = [m for m in actor_mentions if lv.end() <= m.start and m.end <= ts and not m.locative]
                if obj and recipient is None and re.search(r"\b(?:in|into)\s+(?:a|an|the)?\s*(?:[\w-]+\s+)?$", s[obj[0].end:ts]):
                    recipient = obj[0]  # "rebels engaged Filipino peacekeepers in a firefight"
        if actor is None and c.type == "CONSULT" and _DURING_RE.search(left):
            actor = subject_before(ts)  # "X held talks with Y during a surprise visit to Beirut": X visits
        if actor is None and c.type in ("REQUEST", "THREATEN", "ACCUSE") and re.search(r"\b(?:calling|with\s+\w+\s+calling)\s+$", left):
            actor = subject_before(ts) or speaker
        if actor is None and c.type in ("REQUEST",) and re.search(r"\bcalling\s+$", left):
            actor = speaker
        # recipient: "on/against/targeting X" within the noun phrase
        if recipient is None:
            pool = right_mentions(te, min(clause_end + 1, te + 90))
            if c.type == "ASSAULT":
                pool += [m for m in mentions if m.kind == "place" and not m.locative and te <= m.start < min(clause_end + 1, te + 40)]
                pool.sort(key=lambda m: m.start)
            for m in pool:
                gap = s[te:m.start]
                if m.locative and m.kind in ("country", "place"):
                    continue
                if _NOUN_RECIP_GAP_RE.match(gap) or (c.type in VERBAL and len(gap) < 30):
                    if actor is not None and m.start == actor.start:
                        continue
                    if c.type == "SANCTION" and actor is not None and m.country == actor.country:
                        continue  # "bans on travel to Canada": a country does not sanction itself
                    if _crosses_other_trigger(lex, gap, c.type):
                        break  # "used the airstrikes to reiterate their calls for US troops ...": the calls' object
                    recipient = m
                    break
        c.confidence = 0.55
    # REQUEST: more complements "and for U.S. troops to leave"
    if c.type == "REQUEST":
        for m in re.finditer(r"\band\s+(?:for|on)\s+", s[te:]):
            pos = te + m.end()
            rm = right_mentions(pos, pos + 30)
            if rm and (recipient is None or rm[0].country != recipient.country):
                c.extra_recipients.append(with_sector(rm[0]))
        if c.mode is None:
            c.mode = "yield" if re.search(r"\b(?:leave|withdraw|withdrawal|expel|expelled|end|release|lift|pull\s+out|exit)\b", right) else "change"
    if c.type == "ASSAULT" and recipient is not None and recipient.kind == "place":
        recipient = replace(recipient, sector="CVL")
    if recipient is None and actor is not None and actor.country and c.type in _HOSTED and not (c.type == "CONSULT" and actor.conjuncts):
        # "activists staged a protest in Beijing", "attend a summit in Switzerland", "exercises in Alaska": with no
        # one named, a protest, meeting or deployment abroad is directed at (hosted by) the country it takes place in
        host = [m for m in mentions if m.locative and m.country and m.country not in ("IGO", actor.country)
                and te <= m.start < clause_end and not _crosses_other_trigger(lex, s[te:m.start], c.type)]
        if host:
            recipient = replace(host[0], sector="GOV" if host[0].kind == "country" else None, locative=False)
    if recipient is not None and actor is not None and recipient.start == actor.start:
        recipient = None
    c.actor, c.recipient = with_sector(actor), with_sector(recipient)
    if c.type == "ACCUSE" and c.recipient is not None and c.actor is not None and c.recipient.country == c.actor.country and trig.evaluative:
        c.recipient = None


def _casualty_count(s: str, cs: int, ce: int) -> tuple[int | None, str | None]:
    lm = _LEFT_COUNT_RE.search(s[max(0, cs - 80):cs])
    if lm:
        return parse_number(lm["n"]), "left"
    rm = _RIGHT_COUNT_RE.match(s[ce:])
    if rm:
        return parse_number(rm["n"]), "right"
    if _RIGHT_ONE_RE.match(s[ce:]):
        return 1, "right"
    return None, None


# --------------------------------------------------------------------------- incidents


def _compat(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


_CONTINUES_RE = re.compile(r"\b(?:in\s+(?:his|her|the|their|its)\s+(?:statement|remarks|speech|address|interview)|also|added|further|went\s+on)\b",
                           re.IGNORECASE)


def _continue_statement_dates(cands: list[Cand], sentences: Sequence[str] = (), window: int = 4) -> None:
    """A statement with no date that continues a dated statement of the same person ("Sudani said
    Friday that …" then "In his statement, he also reiterated calls …") takes its date: the very next
    sentence, or one that says it continues ("in his statement", "also", "added") within ``window``.
    A later "Sudani said …" after other sentences is a statement of its own, with no date."""
    last: dict[str, Cand] = {}
    for c in sorted(cands, key=lambda x: (x.sent_idx, x.tstart)):
        if c.type not in VERBAL or c.actor is None or not c.actor.person or not c.actor.name:
            continue
        key = c.actor.name  # the same person speaking on (a country's many voices may speak on other days)
        prev = last.get(key)
        gap = c.sent_idx - prev.sent_idx if prev is not None else 0
        marked = c.sent_idx < len(sentences) and bool(_CONTINUES_RE.search(sentences[c.sent_idx]))
        if c.date is None and prev is not None and (gap == 1 or (marked and 0 < gap <= window)):
            c.date, c.precision = prev.date, prev.precision
        if c.date is not None:
            last[key] = c


_RIGHT_AFTER_RE = re.compile(r"^\W*(?:immediately|shortly|just|hours|minutes|moments)\s+(?:after|following)\s+", re.IGNORECASE)


def _dates_from_incident_after(cands: list[Cand], sentences: Sequence[str]) -> None:
    """"Immediately after the drone strike, the PMF condemned …": a statement with no date of its own
    takes the date of the incident it follows at once (the incident's date comes from its mentions)."""
    for c in cands:
        if c.type not in VERBAL or c.date is not None or c.sent_idx >= len(sentences):
            continue
        m = _RIGHT_AFTER_RE.match(sentences[c.sent_idx])
        if not m:
            continue
        inc = [x for x in cands if x.sent_idx == c.sent_idx and x.type in MATERIAL and x.date
               and m.end() <= x.tstart < m.end() + 40 and x.tstart < c.tstart]
        if inc:
            c.date, c.precision = inc[0].date, inc[0].precision


def _trigger_word(trigger: str) -> str:
    """The head word of a trigger, singular ("the US airstrikes" -> "airstrike")."""
    w = (trigger.lower().split() or [""])[-1]
    return w[:-1] if w.endswith("s") and not w.endswith("ss") else w


_PROTESTERS_RE = re.compile(r"\b(?:protesters|protestors|demonstrators|rioters|marchers)\b", re.IGNORECASE)
#: Sectors whose "protest against X" is a demonstration, not a government's verbal protest.
_STREET_SECTORS = {None, "CVL", "PTY", "REB", "UNK"}


def _reconsider(cands: list[Cand]) -> None:
    """Corrections that need a candidate's roles, made before incidents are grouped."""
    for c in cands:
        # "students protested against fees" demonstrate; "Iran protested against sanctions" accuses
        if c.type == "ACCUSE" and c.trigger.lower().startswith("protest") and (c.actor is None or c.actor.sector in _STREET_SECTORS):
            c.type, c.mode = "PROTEST", "demo"
        # what protesters do is the protest: their demands, denunciations and stone-throwing (missiles stay an ASSAULT)
        elif c.actor is not None and _PROTESTERS_RE.search(c.actor.text or "") and (
                c.type in ("REQUEST", "ACCUSE") or (c.type == "ASSAULT" and c.mode in (None, "primitive", "beat", "destroy"))):
            c.type, c.mode = "PROTEST", ("riot" if c.type == "ASSAULT" else "demo")
        elif c.type == "PROTEST" and c.trigger.lower().startswith("march") and c.actor is not None and c.actor.sector in ("MIL", "REB", "PRM"):
            c.type, c.mode = "ASSAULT", None  # "government forces marched deeper into a rebel-held neighbourhood": an advance
        # "groups used the airstrikes to ...": a reference's parties come from its incident, not a distant subject
        elif c.type == "ASSAULT" and c.reference and c.actor is not None and c.actor.end < c.tstart - 12:
            c.actor = None
            if c.recipient is not None and c.recipient.end <= c.tstart:
                c.recipient = None


def _drop_protest_topics(cands: list[Cand]) -> list[Cand]:
    """The topic of a protest (its demands) is not coded apart from the protest (PLOVER manual, PROTEST):
    a REQUEST in a sentence that reports a protest, by the protesters or by no one named, is dropped."""
    protests = {c.sent_idx: c for c in cands if c.type == "PROTEST"}
    out = []
    for c in cands:
        p = protests.get(c.sent_idx)
        if p is not None and c.type == "REQUEST" and (c.actor is None or c.actor.sector in _STREET_SECTORS
                                                      or (p.actor is not None and c.actor.country == p.actor.country)):
            continue
        out.append(c)
    return out


def _incidents(cands: list[Cand]) -> list[Cand]:
    """Group compatible ASSAULT mentions into incidents and let them fill each other's gaps."""
    clusters: list[list[Cand]] = []
    out: list[Cand] = []
    for c in cands:
        if c.type != "ASSAULT":
            out.append(c)
            continue
        ac = c.actor.country if c.actor else None
        rc = c.recipient.country if c.recipient else None
        chosen = None
        order = list(range(len(clusters) - 1, -1, -1))
        bare = c.reference and ac is None and rc is None
        if bare:  # "the attacks" with no party: the article's main incident (the one told most) first
            order.sort(key=lambda ci: -len(clusters[ci]))
        if c.reference:  # "the US airstrikes" refers back to the incident told with the same word
            word = _trigger_word(c.trigger)
            order.sort(key=lambda ci: not any(_trigger_word(x.trigger) == word for x in clusters[ci]))
        order.sort(key=lambda ci: all(x.reported for x in clusters[ci]) != c.reported)  # same status first
        if bare and c.speaker_country:  # "Amiri (Iraq) strongly [condemned] the attacks": attacks on the speaker's side
            order.sort(key=lambda ci: not any(x.recipient is not None and x.recipient.country == c.speaker_country for x in clusters[ci]))
        for ci in order:
            if c.reported and not c.reference:
                break  # an aggregate is its own incident
            cl = clusters[ci]
            k_ac = next((x.actor.country for x in cl if x.actor and x.actor.country), None)
            k_rc = next((x.recipient.country for x in cl if x.recipient and x.recipient.country), None)
            k_mode = next((x.mode for x in cl if x.mode), None)
            k_date = next((x.date for x in cl if x.date), None)
            k_rep = all(x.reported for x in cl)
            if not (_compat(ac, k_ac) and _compat(rc, k_rc) and _compat(c.mode, k_mode) and _compat(c.date, k_date)):
                continue
            if (ac is None and rc is not None and k_ac == rc) or (rc is None and ac is not None and k_rc == ac):
                continue  # filling the gap would make a party attack itself
            if ac is None and rc is None and not c.reference and not (c.dead or c.injured):
                continue
            if k_rep and not c.reported and c.date is None and not c.reference and not (c.dead or c.injured):
                continue
            if (not k_rep) and c.reported and not c.reference:
                continue
            if any(x.sent_idx == c.sent_idx for x in cl) and not c.reference:
                continue
            chosen = ci
            break
        if chosen is None:
            if c.reference and c.actor is None and c.recipient is None:
                continue  # "the attacks" with nothing to refer to
            clusters.append([c])
            c.cluster = len(clusters) - 1
        else:
            cl = clusters[chosen]
            if c.reference and c.actor is None and c.recipient is None and all(x.reported for x in cl):
                continue  # a reference back to an aggregate is not coded
            cl.append(c)
            c.cluster = chosen
        c.bare_reference = c.reference and ac is None and rc is None
        out.append(c)
    for cl in clusters:
        actor = next((x.actor for x in cl if x.actor and x.actor.country), None)
        recip = next((x.recipient for x in cl if x.recipient and x.recipient.country), None)
        mode = next((x.mode for x in cl if x.mode and x.trigger.lower() not in ("strike", "strikes", "attack", "attacks")), None) or next((x.mode for x in cl if x.mode), None)
        dt = next(((x.date, x.precision) for x in cl if x.date), (None, None))
        place = next((x.place for x in cl if x.place and x.place[2] != "country"), None) or next((x.place for x in cl if x.place), None)
        reported = all(x.reported or (x.plural and not x.date and dt[0] is None) for x in cl)
        for x in cl:
            if x.actor is None or x.actor.country is None:
                x.actor = actor if actor is not None else x.actor
            if x.recipient is None or x.recipient.country is None:
                x.recipient = recip if recip is not None else x.recipient
            if len(cl) > 1:
                x.confidence = min(0.9, x.confidence + 0.1)
            x.mode = x.mode or mode
            if x.date is None and dt[0] is not None:
                x.date, x.precision = dt
            x.place = x.place or place
            x.reported = reported
    # a bare reference ("claimed responsibility for the attacks") back to what turned out an aggregate is not coded
    out = [c for c in out if not (c.type == "ASSAULT" and c.bare_reference and c.reported)]
    # ASSAULTs still missing an actor: the last known attacker of the same recipient country;
    # missing a recipient: the last known target of the same actor country
    for i, c in enumerate(out):
        if c.type == "ASSAULT" and c.recipient is None and c.actor is not None:
            prev = [x for x in out[:i] if x.type == "ASSAULT" and x.actor and x.recipient and x.actor.country == c.actor.country and x.recipient.country != c.actor.country]
            if prev:
                c.recipient = prev[-1].recipient
                c.confidence = 0.4
        if c.type == "ASSAULT" and c.actor is None and c.recipient is not None:
            prev = [x for x in out[:i] if x.type == "ASSAULT" and x.actor and x.recipient and c.recipient.country in _countries(x.recipient)
                    and x.actor.country != c.recipient.country]
            if prev:
                c.actor = prev[-1].actor
                c.confidence = 0.4
    for c in out:
        if c.type == "ACCUSE" and c.recipient is None and c.actor is not None:
            agents = [x.actor for x in out if x.type == "ASSAULT" and x.sent_idx == c.sent_idx and x.actor
                      and x.actor.country and x.actor.country != c.actor.country]
            if agents:
                c.recipient = agents[0]
    out = [c for c in out if not (c.type == "ACCUSE" and c.recipient is None and c.confidence < 0.5)]
    return [c for c in out if c.actor is not None or c.recipient is not None or _stands_alone(c)]


#: Material acts that happened even when the text names no party: an attack with its toll ("a
#: grenade attack in Pikit wounded seven"), a protest with its place ("hundreds marched through
#: Minsk"); never a back-reference to an event already coded.
_PARTYLESS_TYPES = {"ASSAULT", "PROTEST"}


def _countries(m: Mention) -> set:
    """The countries of a mention and of its conjuncts ("US and Coalition forces": USA, IGO)."""
    return {m.country} | {x.country for x in m.conjuncts if x.country}


def _stands_alone(c: Cand) -> bool:
    if c.type not in _PARTYLESS_TYPES or c.reference or c.casualty_only or c.reported:
        return False
    if c.type == "ASSAULT":  # an attack with no party is only an event with its toll
        return c.dead is not None or c.injured is not None
    return c.place is not None  # a protest somewhere


# --------------------------------------------------------------------------- records


def _actor_conjuncts(m: Mention | None) -> list[Mention]:
    """The other members of a compound actor, each with its own country (and the shared sector)."""
    if m is None or not m.conjuncts:
        return []
    out = []
    for x in m.conjuncts:
        if x.country and x.country != m.country:
            out.append(replace(x, sector=x.sector or m.sector))
    return out


#: Acts that a group of parties does together, each with the others.
_MUTUAL = {"CONSULT", "AGREE", "COOPERATE"}


def _to_events(article_id: str, text: str, sents, cands: list[Cand], dict_version: str = "",
               context: str | None = None, dict_dir: str | Path | None = None) -> list[Event]:
    events: list[Event] = []
    seen: dict[tuple, int] = {}
    ordinals: Counter = Counter()
    by_sent: dict[int, list[Cand]] = {}
    for c in cands:
        by_sent.setdefault(c.sent_idx, []).append(c)
        for r in c.extra_recipients:
            by_sent[c.sent_idx].append(replace(c, recipient=r, extra_recipients=[]))
        # a compound actor ("Hungarian and Romanian officials") gives one event per member country;
        # members who meet or agree with no one else named do so with each other ("The US and Russia met")
        members = _actor_conjuncts(c.actor)
        if members and c.recipient is None and c.type in _MUTUAL:
            group = [c.actor] + members
            by_sent[c.sent_idx] = [x for x in by_sent[c.sent_idx] if x is not c]
            for a in group:
                for b in group:
                    if a is not b and a.country != b.country:
                        by_sent[c.sent_idx].append(replace(c, actor=a, recipient=b, extra_recipients=[]))
            continue
        for x in members:
            by_sent[c.sent_idx].append(replace(c, actor=x, extra_recipients=[]))
    for si in sorted(by_sent):
        a, b = sents[si]
        for c in by_sent[si]:
            ac = c.actor.country if c.actor else None
            rc = c.recipient.country if c.recipient else None
            key = (si, c.type, ac, rc)
            if key in seen:
                prev = events[seen[key]]
                events[seen[key]] = replace(
                    prev, mode=prev.mode or c.mode, dead=prev.dead if prev.dead is not None else c.dead,
                    injured=prev.injured if prev.injured is not None else c.injured,
                    arrested=prev.arrested if prev.arrested is not None else c.arrested,
                    event_date=prev.event_date or c.date, date_precision=prev.date_precision or c.precision)
                continue
            okey = (si, c.type, c.mode, ac, rc)
            ordinal = ordinals[okey]
            ordinals[okey] += 1
            place = c.place if c.type in MATERIAL else None
            geo = _geocode_place(place, context, dict_dir) if place else None
            ev = Event(
                mention_id=stable_id(article_id, si, c.type, c.mode, ac, rc, ordinal),
                article_id=article_id, sentence_idx=si, sentence=text[a:b], sentence_start=a, sentence_end=b,
                event_type=c.type, mode=c.mode, trigger=c.trigger,
                actor_text=c.actor.text if c.actor else None, actor_name=c.actor.name if c.actor else None,
                actor_country=ac, actor_sector=c.actor.sector if c.actor else None,
                recipient_text=c.recipient.text if c.recipient else None,
                recipient_name=c.recipient.name if c.recipient else None,
                recipient_country=rc, recipient_sector=c.recipient.sector if c.recipient else None,
                event_date=c.date, date_precision=c.precision if c.date else None,
                place_name=(geo.name if geo else place[0]) if place else None,
                place_country=place[1] if place else None,
                place_admin1=geo.admin1 if geo else None, place_lat=geo.lat if geo else None,
                place_lon=geo.lon if geo else None,
                place_precision=geo.precision if geo else (_PLACE_PRECISION.get(place[2]) if place else None),
                dead=c.dead, injured=c.injured, arrested=c.arrested, reported_only=c.reported,
                confidence=round(max(0.0, min(1.0, c.confidence)), 2), extractor_version=EXTRACTOR_VERSION,
                cameo_root=cameo_root(c.type, c.mode), quad_class=QUAD_CLASS[c.type],
                dictionary_version=dict_version,
            )
            seen[key] = len(events)
            events.append(ev)
    return events


_PLACE_PRECISION = {"country": "country"}  # a named place the gazetteer lacks: precision unknown


def _geocode_place(place: tuple, context: str | None, dict_dir: str | Path | None):
    """The gazetteer's entry for an event's place (name, country, kind), in the place's own country."""
    from tasks.geocode import geocode

    name, country = place[0], place[1]
    geo = geocode(name, tuple(c for c in (country, context) if c), dict_dir=dict_dir)
    return geo if geo is not None and (country is None or geo.country == country) else None


# --------------------------------------------------------------------------- Prefect task


@task(name="events", cache_policy=NO_CACHE)
def extract_events_task(articles: Sequence[Article]) -> Slice[Event]:
    """Events of all articles (the pure work is ``extract_events``), as a Slice (see
    tasks.records.Slice)."""
    events = [e for a in articles for e in extract_events(a.article_id, a.text, a.published)]
    run_logger().info("events: %d from %d articles", len(events), len(articles))
    return Slice(events)
