"""The country dictionary (tasks/dictionaries/countries.yaml): coverage, consistency, and what it resolves.

Issue 6: actors resolve country names, demonyms, capitals and major cities for every UN member state
(plus Palestine, Taiwan, Kosovo, the Vatican and Western Sahara). Names, demonyms and capitals become
actors and are matched case-sensitively, longest match first, so a string listed under two countries (or
a lowercase word) would produce wrong actors in ordinary text.
"""

from __future__ import annotations

import pytest
import yaml

from tasks.events import DICTIONARY_DIR, extract_events, load_lexicon

COUNTRIES = DICTIONARY_DIR / "countries.yaml"

#: The 193 UN member states, ISO 3166-1 alpha-3, by UN regional group.
UN_MEMBERS = frozenset("""
DZA AGO BEN BWA BFA BDI CPV CMR CAF TCD COM COG COD CIV DJI EGY GNQ ERI SWZ ETH GAB GMB GHA GIN GNB KEN LSO LBR
LBY MDG MWI MLI MRT MUS MAR MOZ NAM NER NGA RWA STP SEN SYC SLE SOM ZAF SSD SDN TZA TGO TUN UGA ZMB ZWE
ATG ARG BHS BRB BLZ BOL BRA CAN CHL COL CRI CUB DMA DOM ECU SLV GRD GTM GUY HTI HND JAM MEX NIC PAN PRY PER KNA
LCA VCT SUR TTO USA URY VEN
AFG BHR BGD BTN BRN KHM CHN CYP PRK IND IDN IRN IRQ ISR JPN JOR KAZ KWT KGZ LAO LBN MYS MDV MNG MMR NPL OMN PAK
PHL QAT KOR SAU SGP LKA SYR TJK THA TLS TUR TKM ARE UZB VNM YEM AUS FJI KIR MHL FSM NRU NZL PLW PNG WSM SLB TON
TUV VUT
ALB AND ARM AUT AZE BLR BEL BIH BGR HRV CZE DNK EST FIN FRA GEO DEU GRC HUN ISL IRL ITA LVA LIE LTU LUX MLT MDA
MCO MNE NLD MKD NOR POL PRT ROU RUS SMR SRB SVK SVN ESP SWE CHE UKR GBR
""".split())
#: Observer states and disputed territories the extractor must know as well.
OTHERS = frozenset({"PSE", "TWN", "XKX", "VAT", "ESH"})

#: Capitals deliberately left out: as actors they would mostly match something else.
NO_CAPITAL = {
    "SYC": "Victoria",  # first name, Australian state, Queen Victoria
    "ATG": "St. John's",  # also Newfoundland's capital
    "BHS": "Nassau",  # Nassau County (New York), the House of Nassau
    "CHL": "Santiago",  # first name (Paraguay's president), Santiago de Compostela, Santiago de Cuba
    "CRI": "San Jose",  # San Jose, California
    "GRD": "St. George's",  # many places
    "JAM": "Kingston",  # Kingston upon Thames, Kingston (Ontario, New York), the memory maker
    "PAN": "Panama City",  # Panama City, Florida
    "BGR": "Sofia",  # first name
    "NZL": "Wellington",  # surname, the Duke, towns in England and elsewhere
    "BEL": "Brussels",  # as an actor it usually means the EU: listed as a BEL city (a place) instead
}


@pytest.fixture(scope="module")
def countries() -> dict:
    return yaml.safe_load(COUNTRIES.read_text(encoding="utf-8"))


def _actor_strings(c: dict) -> list[str]:
    return [*(c.get("names") or []), *(c.get("demonyms") or []), *([c["capital"]] if c.get("capital") else [])]


def _all_strings(c: dict) -> list[str]:
    return [*_actor_strings(c), *(c.get("cities") or [])]


def test_every_un_member_and_the_others_are_keys(countries):
    assert len(UN_MEMBERS) == 193
    missing = sorted((UN_MEMBERS | OTHERS) - set(countries))
    assert not missing, f"countries.yaml lacks {missing}"


def test_keys_are_alpha3_and_entries_have_only_known_fields(countries):
    for iso, c in countries.items():
        assert isinstance(iso, str) and len(iso) == 3 and iso.isupper() and iso.isalpha(), iso
        assert set(c) <= {"names", "demonyms", "capital", "cities"}, (iso, set(c))
        for field in ("names", "demonyms", "cities"):
            assert isinstance(c.get(field) or [], list), (iso, field)
        assert c.get("capital") is None or isinstance(c["capital"], str), iso


def test_every_entry_has_names_and_a_capital(countries):
    for iso, c in countries.items():
        assert c.get("names"), f"{iso} has no names"
        if iso in NO_CAPITAL:
            assert not c.get("capital"), f"{iso}: {NO_CAPITAL[iso]!r} was left out as ambiguous; update NO_CAPITAL"
        else:
            assert c.get("capital"), f"{iso} has no capital"


def test_skipped_capitals_are_not_actors(countries):
    actors = {s for c in countries.values() for s in _actor_strings(c)}
    assert not actors & set(NO_CAPITAL.values())


def test_no_actor_string_under_two_countries(countries):
    seen: dict[str, str] = {}
    clashes = []
    for iso, c in countries.items():
        for s in set(_actor_strings(c)):
            if s in seen:
                clashes.append((s, seen[s], iso))
            seen[s] = iso
    assert not clashes, clashes


def test_no_city_under_two_countries_or_another_countrys_actor(countries):
    owner: dict[str, str] = {}
    clashes = []
    for iso, c in countries.items():
        for s in set(_all_strings(c)):
            if owner.setdefault(s, iso) != iso:
                clashes.append((s, owner[s], iso))
    assert not clashes, clashes


def test_no_bare_lowercase_word(countries):
    bad = [(iso, s) for iso, c in countries.items() for s in _all_strings(c)
           if not isinstance(s, str) or not s.strip() or not s[0].isupper() or s != s.strip()]
    assert not bad, bad


def test_every_string_resolves_to_its_country():
    """Nothing shadows an entry: the compiled lexicon maps each name, demonym and capital to its own country."""
    countries = yaml.safe_load(COUNTRIES.read_text(encoding="utf-8"))
    lex = load_lexicon()
    wrong = []
    for iso, c in countries.items():
        for s in _actor_strings(c):
            e = lex.proper.get(s)
            if e is None or e.country != iso or e.kind not in ("country", "demonym", "capital"):
                wrong.append((iso, s, e))
            m = lex.proper_re.fullmatch(s)
            if m is None:
                wrong.append((iso, s, "no full match"))
    assert not wrong, wrong[:20]


@pytest.mark.parametrize("text, found", [
    ("Guinea-Bissau, Guinea, Equatorial Guinea and Papua New Guinea",
     [("Guinea-Bissau", "GNB"), ("Guinea", "GIN"), ("Equatorial Guinea", "GNQ"), ("Papua New Guinea", "PNG")]),
    ("the Democratic Republic of Congo and the Republic of Congo",
     [("Democratic Republic of Congo", "COD"), ("Republic of Congo", "COG")]),
    ("Nigeria and Niger", [("Nigeria", "NGA"), ("Niger", "NER")]),
    ("South Sudanese and Sudanese troops", [("South Sudanese", "SSD"), ("Sudanese", "SDN")]),
    ("Dominica and Dominican Republic", [("Dominica", "DMA"), ("Dominican Republic", "DOM")]),
    ("Greek Cypriot and Turkish Cypriot leaders", [("Greek Cypriot", "CYP"), ("Turkish Cypriot", "CYP")]),
    ("Côte d’Ivoire, Ivory Coast, Czechia", [("Côte d’Ivoire", "CIV"), ("Ivory Coast", "CIV"), ("Czechia", "CZE")]),
])
def test_longest_match_wins(text, found):
    lex = load_lexicon()
    got = [(m.group(0), lex.proper[m.group(0).replace("’", "'")].country) for m in lex.proper_re.finditer(text)]
    assert got == found


def test_hungarian_officials_accuse_russia():
    events = extract_events("x", "Hungarian officials condemned the Russian strikes on Kyiv on Monday.", "2024-01-10")
    accuse = [e for e in events if e.event_type == "ACCUSE"]
    assert accuse, events
    assert accuse[0].actor_country == "HUN"
    assert accuse[0].recipient_country == "RUS"
