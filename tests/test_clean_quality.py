"""Quality gate for tasks.clean: its scores on a fixed subset of real pages must not drop below the floors.

Data in tests/data/clean_gate/ (24 pages from mozilla/readability, codelucas/newspaper,
AndyTheFactory/newspaper4k and postlight/parser, with their expected outputs; provenance and licences in
its README.md). The floors are tests/data/clean_gate/baseline.json: each metric as measured, rounded
down to 2 decimals. Raise a floor whenever you raise the score:

    .venv/bin/python bench/eval_clean.py --update-baseline

The scoring is bench/scoring.py, the same code `make eval-clean` uses, so the gate and the eval cannot
drift apart. The unit tests below pin the scoring functions themselves.
"""

import json
import time
from datetime import date
from pathlib import Path

import pytest

from bench.scoring import (
    GATE_METRICS,
    LEAD_WINDOW,
    Expected,
    Page,
    Prediction,
    author_match,
    author_names,
    calendar_days,
    date_match,
    floor2,
    gate_metrics,
    html_text,
    is_failure_note,
    lead_hit,
    load_pages,
    newspaper_urls,
    norm_title,
    page_html,
    predict_ours,
    prf,
    score_page,
    summarize,
    title_match,
    tokens,
)
from tests.conftest import DATA

GATE = DATA / "clean_gate"
BASELINE = GATE / "baseline.json"


# ---------------------------------------------------------------------------------------------
# The gate
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gate_pages() -> list[Page]:
    return load_pages(GATE)


@pytest.fixture(scope="module")
def measured(gate_pages) -> dict[str, float]:
    started = time.perf_counter()
    rows = [score_page(p, predict_ours(page_html(p), p.url)) for p in gate_pages]
    took = time.perf_counter() - started
    assert took < 20, f"the quality gate should take well under 20 s; cleaning the subset took {took:.1f} s"
    return gate_metrics(summarize(rows))


def test_gate_subset_is_complete(gate_pages):
    by_ds = {}
    for p in gate_pages:
        by_ds[p.dataset] = by_ds.get(p.dataset, 0) + 1
    assert by_ds == {"readability": 9, "newspaper": 5, "newspaper4k": 3, "postlight": 7}, by_ds
    assert all(p.url for p in gate_pages)


def test_baseline_has_a_floor_for_every_metric():
    floors = json.loads(BASELINE.read_text(encoding="utf-8"))["floors"]
    assert set(floors) == set(GATE_METRICS)
    for k, v in floors.items():
        assert 0 <= v <= 1 and round(v, 2) == v, f"floor {k}={v} should be a rate with 2 decimals"


@pytest.mark.parametrize("metric", GATE_METRICS)
def test_clean_quality_does_not_drop(measured, metric):
    floor = json.loads(BASELINE.read_text(encoding="utf-8"))["floors"][metric]
    value = measured.get(metric)
    assert value is not None, f"{metric}: no value measured on the gate subset"
    assert value + 1e-9 >= floor, (
        f"clean quality dropped: {metric} = {value:.4f} on tests/data/clean_gate, below its floor {floor:.2f} "
        f"(tests/data/clean_gate/baseline.json). Run `make eval-clean` to see which pages got worse."
    )


# ---------------------------------------------------------------------------------------------
# The scoring functions
# ---------------------------------------------------------------------------------------------


def test_tokens_lowercase_words_and_one_token_per_cjk_character():
    assert tokens("Hello, World! It's 2024.") == ["hello", "world", "it", "s", "2024"]
    assert tokens("ＡＢＣ ﬁne") == ["abc", "fine"]  # NFKC: full-width letters, ligature
    assert tokens("東京は晴れ") == ["東", "京", "は", "晴", "れ"]
    assert tokens("iPhone 15の発売") == ["iphone", "15", "の", "発", "売"]
    assert tokens("서울 시장") == ["서울", "시장"]  # Hangul is written with spaces: words
    assert tokens("") == [] and tokens(None) == []


def test_prf_is_a_bag_of_tokens_with_multiplicity():
    assert prf("a b c", "a b c") == (1.0, 1.0, 1.0)
    assert prf("C b A", "a b c") == (1.0, 1.0, 1.0)  # order and case do not matter
    p, r, f = prf("a b", "a b c d")
    assert (p, r) == (1.0, 0.5) and f == pytest.approx(2 / 3)
    p, r, f = prf("a a a b", "a b")  # multiplicity: the extra a's are false positives
    assert (p, r) == (0.5, 1.0) and f == pytest.approx(2 / 3)
    p, r, f = prf("a x", "a y")
    assert (p, r, f) == (0.5, 0.5, 0.5)
    assert prf("x y", "a b") == (0.0, 0.0, 0.0)
    assert prf("", "a b") == (0.0, 0.0, 0.0)  # nothing extracted
    assert prf("a", "") == (0.0, 0.0, 0.0)
    assert prf("", "") == (1.0, 1.0, 1.0)


def test_lead_hit_needs_the_first_words_near_the_start():
    lead = "Houston has promoted offensive coordinator"
    assert lead_hit(lead, "Houston has promoted offensive coordinator Major Applewhite.") is True
    assert lead_hit(lead, "HOUSTON — has promoted, offensive coordinator") is True  # punctuation, case
    assert lead_hit(lead, "x " * LEAD_WINDOW + lead) is True  # starts at token LEAD_WINDOW
    assert lead_hit(lead, "x " * (LEAD_WINDOW + 1) + lead) is False
    assert lead_hit(lead, "Houston has promoted a defensive coordinator") is False
    assert lead_hit("186 cmAvailable Lengths", "186 cm Available Lengths: 178") is True  # postlight's glued words
    assert lead_hit("", "anything") is None


def test_title_normalization_whitespace_case_quotes():
    assert norm_title("  The  ‘Big’\n“Story”  ") == "the big story"
    assert title_match('Putin\'s "Personal Beef"', "putin’s  ‘personal beef’") is True
    assert title_match("Story - Site", "Story") is False
    assert title_match(None, "Story") is False
    assert title_match("Story", None) is None and title_match("Story", "  ") is None


def test_author_names_are_a_set_without_by():
    assert author_names("By Jane Doe") == {"jane doe"}
    assert author_names("JOSH HASKELL, DAVID CAPLAN and PATRICK REEVELL") == {
        "josh haskell", "david caplan", "patrick reevell"}
    assert author_names(["Dana A. Ford", "Tom Watkins"]) == {"dana a. ford", "tom watkins"}
    assert author_names("By Nathan Willis\n    March 25, 2015") == {"nathan willis"}  # date part dropped
    assert author_names("Ann Lee; Bo Chen") == {"ann lee", "bo chen"}  # trafilatura joins with "; "
    assert author_names("Byron Smith") == {"byron smith"}
    assert author_names(None) == frozenset() and author_names([]) == frozenset()
    assert author_match(("Tom Watkins", "Dana A. Ford"), "By Dana A. Ford and Tom Watkins") is True
    assert author_match(("Dana A. Ford",), "Dana A. Ford and Tom Watkins") is False  # a missing name fails
    assert author_match(None, "Jane Doe") is False
    assert author_match(("Jane Doe",), None) is None


def test_dates_match_on_the_same_calendar_day():
    assert calendar_days("2016-12-09") == {date(2016, 12, 9)}
    assert date_match("2016-12-09T04:13:00-05:00", "2016-12-09T09:13:00.000Z") is True
    assert date_match("2016-12-09", "2016-12-09T23:59:00Z") is True
    # 22:00 in New York is the next day in UTC: either reading counts
    assert date_match("2016-12-10", "2016-12-09T22:00:00-05:00") is True
    assert date_match("2016-12-08", "2016-12-09T09:13:00.000Z") is False
    assert date_match("2014-12-27 12:06:00", "2014-12-27T12:06:00") is True
    assert date_match(None, "2016-12-09") is False and date_match("garbage", "2016-12-09") is False
    assert date_match("2016-12-09", None) is None


def test_expected_text_of_readability_html_keeps_blocks_apart():
    text = html_text("<div><p>One<b>two</b></p><p>three</p><ul><li>four</li><li>five</li></ul>six<br>seven</div>")
    assert tokens(text) == ["onetwo", "three", "four", "five", "six", "seven"]


def test_newspaper_failure_notes_and_file_names():
    assert is_failure_note("MISSED LAST PARAGRAPH\n")
    assert is_failure_note("")
    assert not is_failure_note("PICTURE BOOKS\n\nA story about kids and books, with lower case.")
    assert not is_failure_note("香港行政长官梁振英")
    urls = newspaper_urls(GATE / "codelucas+newspaper/tests/data/fulltext_url_list.txt")
    assert urls["bhg.com1"].startswith("http://bhg.com/thanksgiving/")
    assert "cricket.com.au2" in urls  # three labels for com.au, as newspaper's test names it


def test_score_page_and_summary():
    page = Page("readability", "x", Path("x.html"), None,
                Expected(text="a b c d", title="T", authors="By Jane Doe", date="2020-01-02"))
    row = score_page(page, Prediction(text="a b", title="t", authors=("Jane Doe",), date="2020-01-02T10:00:00"))
    assert row["f1"] == pytest.approx(2 / 3) and row["title"] and row["author"] and row["date"]
    lead_page = Page("postlight", "y", Path("y.html"), None, Expected(lead="hello world"))
    row2 = score_page(lead_page, Prediction(text="Hello world.", title="x"))
    assert "f1" not in row2 and row2["lead"] is True and row2["title"] is None
    s = summarize([row, row2])
    assert s["body_pages"] == 1 and s["body_f1"] == pytest.approx(2 / 3)
    assert (s["lead"], s["lead_n"], s["title"], s["title_n"]) == (1.0, 1, 1.0, 1)


def test_floor2_rounds_down():
    assert floor2(0.57) == 0.57  # 0.57 * 100 is 56.99999... in binary floating point
    assert floor2(0.5799) == 0.57
    assert floor2(1.0) == 1.0
    assert floor2(0.0) == 0.0
