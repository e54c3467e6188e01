"""Quality gate for tasks.events: its scores on the PLOVER gold copies must not get worse.

Data in tests/data/events_gate/ (the PETR2 sentences and the seed gold, copied unchanged from
../shared/gold/events; provenance in its README.md); the seed texts are the repo's seeds/. The
floors and the ceiling are tests/data/events_gate/baseline.json: each F1 as measured, rounded down
to 2 decimals, and the number of events coded on the sentences marked as having none. Raise them
whenever you improve the extractor:

    .venv/bin/python bench/eval_events.py --update-baseline

The scoring is bench/events_scoring.py, the same code `make eval-events` uses, so the gate and the
eval cannot drift apart. The unit tests below pin the matching and scoring functions themselves.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench.events_scoring import (
    ACLED_TO_PLOVER,
    ACLED_UNMAPPED,
    GATE_CEILINGS,
    GATE_FLOORS,
    REPO_SEEDS,
    GoldEvent,
    GoldMissing,
    GoldSentence,
    Pred,
    actor_country,
    assign_to_sentences,
    attribute_accuracy,
    count_level,
    error_analysis,
    floor2,
    gate_metrics,
    gold_keys,
    iso_date,
    load_case,
    load_petr2,
    load_seed_gold,
    locate_sentences,
    no_event_count,
    pair_events,
    pred_keys,
    predict_seed_articles,
    predict_sentences,
    prf,
    score,
    seed_exactness,
    seed_publication_dates,
)
from tests.conftest import DATA

GATE = DATA / "events_gate"
BASELINE = GATE / "baseline.json"
SCORE_TOOL = Path(__file__).resolve().parents[2] / "shared" / "tools" / "score_events.py"


# ---------------------------------------------------------------------------------------------
# The gate
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def measured() -> dict:
    started = time.perf_counter()
    m = gate_metrics(GATE, REPO_SEEDS, seed_publication_dates())
    took = time.perf_counter() - started
    assert took < 10, f"the events quality gate should take well under 10 s; it took {took:.1f} s"
    return m


def test_gate_data_is_complete():
    petr2 = load_petr2(GATE)
    assert len(petr2) == 78 and sum(s.no_events for s in petr2) == 12
    seeds = load_seed_gold(GATE)
    assert len(seeds) == 32 and sum(len(s.events) for s in seeds) == 49
    assert {s.doc for s in seeds} == {"000_6d746afb71c21aef.txt", "003_9739e647ac3eb03e.txt"}
    for doc in {s.doc for s in seeds}:
        assert (REPO_SEEDS / doc).is_file()
    assert seed_publication_dates()["000_6d746afb71c21aef.txt"] == "2023-11-22"


def test_baseline_has_every_metric():
    b = json.loads(BASELINE.read_text(encoding="utf-8"))
    assert set(b["floors"]) == set(GATE_FLOORS) and set(b["ceilings"]) == set(GATE_CEILINGS)
    for k, v in b["floors"].items():
        assert 0 <= v <= 1 and round(v, 2) == v, f"floor {k}={v} should be a rate with 2 decimals"
    for k, v in b["ceilings"].items():
        assert isinstance(v, int) and v >= 0, f"ceiling {k}={v} should be a count"


@pytest.mark.parametrize("metric", GATE_FLOORS)
def test_events_quality_does_not_drop(measured, metric):
    floor = json.loads(BASELINE.read_text(encoding="utf-8"))["floors"][metric]
    assert measured[metric] + 1e-9 >= floor, (
        f"event extraction got worse: {metric} = {measured[metric]:.4f} on tests/data/events_gate, below its floor "
        f"{floor:.2f} (tests/data/events_gate/baseline.json). Run `make eval-events` to see what it gets wrong.")


@pytest.mark.parametrize("metric", GATE_CEILINGS)
def test_no_more_events_on_sentences_without_any(measured, metric):
    ceiling = json.loads(BASELINE.read_text(encoding="utf-8"))["ceilings"][metric]
    assert measured[metric] <= ceiling, (
        f"event extraction got worse: {measured[metric]} events coded on the gold sentences marked as having none, "
        f"above the ceiling {ceiling} (tests/data/events_gate/baseline.json). `make eval-events` lists them.")


# ---------------------------------------------------------------------------------------------
# Counting and P/R/F1
# ---------------------------------------------------------------------------------------------


def sent(sid, *events, text="x", no_events=None, **kw) -> GoldSentence:
    return GoldSentence(sid=sid, text=text, events=list(events),
                        no_events=(not events) if no_events is None else no_events, **kw)


def g(t, a="", r="", **kw) -> GoldEvent:
    return GoldEvent(t, (a,), (r,), **kw)


def p(t, a="", r="", **kw) -> Pred:
    return Pred(t, a, r, **kw)


def test_set_counting_collapses_duplicates_event_counting_does_not():
    gold = [("ASSAULT",), ("ASSAULT",)]
    assert count_level(gold, [("ASSAULT",)], "set") == (1, 0, 0)
    assert count_level(gold, [("ASSAULT",)], "event") == (1, 0, 1)
    assert count_level([("ASSAULT",)], [("ASSAULT",), ("ASSAULT",)], "event") == (1, 1, 0)
    assert count_level([("A",), ("B",)], [("B",), ("C",)], "set") == (1, 1, 1)
    with pytest.raises(ValueError):
        count_level([], [], "bag")


def test_levels_keys_and_compound_actors():
    e = GoldEvent("CONSULT", ("USA", "RUS"), ("CHE",))
    assert gold_keys([e], "type") == [("CONSULT",)]
    assert gold_keys([e], "type+actor") == [("CONSULT", "USA"), ("CONSULT", "RUS")]
    assert gold_keys([e], "type+actor+recipient") == [("CONSULT", "USA", "CHE"), ("CONSULT", "RUS", "CHE")]
    assert pred_keys([p("ACCUSE", "IRQ")], "type+actor+recipient") == [("ACCUSE", "IRQ", "")]


def test_score_matches_within_a_sentence_only_and_by_level():
    sents = [sent("s1", g("ASSAULT", "USA", "IRQ")),
             sent("s2", g("ACCUSE", "IRQ", "USA")),
             sent("s3", g("PROTEST", "FRA"))]
    preds = {
        "s1": [p("ASSAULT", "USA", "IRQ")],  # right at every level
        "s2": [p("ACCUSE", "IRQ", "")],  # type and actor right, recipient missing
        "s4": [p("PROTEST", "FRA")],  # the right event on another sentence: no credit
    }
    s = score(sents, preds)
    assert (s["type"]["tp"], s["type"]["fp"], s["type"]["fn"]) == (2, 0, 1)
    assert (s["type+actor"]["tp"], s["type+actor"]["fn"]) == (2, 1)
    t = s["type+actor+recipient"]
    assert (t["tp"], t["fp"], t["fn"]) == (1, 1, 2)
    assert t["precision"] == 0.5 and t["recall"] == pytest.approx(1 / 3) and t["f1"] == pytest.approx(0.4)
    # a missing recipient matches a missing recipient
    assert score([sents[2]], {"s3": [p("PROTEST", "FRA", "")]})["type+actor+recipient"]["tp"] == 1
    # events that fell on no gold sentence are false positives
    u = score(sents[:1], {"s1": [p("ASSAULT", "USA", "IRQ")]}, unaligned={"doc": [p("AID"), p("AID")]})
    assert (u["type"]["fp"], u["type"]["tp"]) == (1, 1)
    assert score(sents[:1], {}, "event", unaligned={"doc": [p("AID"), p("AID")]})["type"]["fp"] == 2


def test_unscored_sentences_are_left_out():
    sents = [sent("a", g("ASSAULT")), sent("b", scored=False, no_events=False)]
    s = score(sents, {"a": [p("ASSAULT")], "b": [p("ACCUSE")]})
    assert (s["type"]["tp"], s["type"]["fp"], s["type"]["fn"]) == (1, 0, 0)


def test_no_event_count():
    sents = [sent("a"), sent("b"), sent("c", g("AID"))]
    r = no_event_count(sents, {"a": [p("ACCUSE"), p("ASSAULT")], "c": [p("AID")]})
    assert (r["sentences"], r["sentences_with_events"], r["events"]) == (2, 1, 2)
    assert r["examples"][0]["id"] == "a"


def test_prf_and_floor2():
    assert prf(0, 0, 0) == (None, None, None)
    assert prf(0, 1, 1) == (0.0, 0.0, 0.0)
    assert prf(3, 1, 0) == (0.75, 1.0, pytest.approx(6 / 7))
    assert floor2(0.57) == 0.57 and floor2(0.4724) == 0.47 and floor2(1.0) == 1.0


@pytest.mark.skipif(not SCORE_TOOL.is_file(), reason="../shared/tools/score_events.py not available")
def test_set_counting_agrees_with_score_events_py(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("score_events", SCORE_TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    gold_rows = [
        {"id": "a", "text": "x", "gold_events": [
            {"plover": "CONSULT", "source_actor": [{"code": "USAGOV"}, {"code": "RUSGOV"}], "target_actor": [{"code": "CHE"}]},
            {"plover": "CONSULT", "source_actor": [{"code": "USA"}], "target_actor": [{"code": "CHE"}]},
            {"plover": "dropped", "source_actor": [{"code": "USA"}], "target_actor": []}]},
        {"id": "b", "text": "y", "gold_events": [
            {"plover": "ASSAULT", "source_actor": [{"code": "ISR"}], "target_actor": []}]},
        {"id": "c", "text": "z", "gold_events": [], "no_events_expected": True},
    ]
    preds = {"a": [p("CONSULT", "USA", "CHE"), p("CONSULT", "USA", "")], "b": [p("ASSAULT", "ISR", "PSE")],
             "c": [p("ACCUSE", "FRA", "")]}
    (tmp_path / "petr2_gsr_validation.jsonl").write_text("".join(json.dumps(r) + "\n" for r in gold_rows))
    (tmp_path / "pred.jsonl").write_text("".join(
        json.dumps({"id": k, "events": [{"code": e.type, "source": [e.actor] if e.actor else [],
                                         "target": [e.recipient] if e.recipient else []} for e in v]}) + "\n"
        for k, v in preds.items()))
    theirs = tool.score(str(tmp_path / "petr2_gsr_validation.jsonl"), str(tmp_path / "pred.jsonl"), "plover")
    ours = score(load_petr2(tmp_path), preds)
    for their_level, our_level in (("type", "type"), ("type+src", "type+actor"), ("triple", "type+actor+recipient")):
        assert theirs[their_level][3:] == (ours[our_level]["tp"], ours[our_level]["fp"], ours[our_level]["fn"]), our_level


# ---------------------------------------------------------------------------------------------
# Loading the gold
# ---------------------------------------------------------------------------------------------


def test_codes_and_dates():
    assert actor_country("USAGOV") == "USA" and actor_country("IGOUNOMIL") == "IGO"
    assert actor_country("---REB") == "" and actor_country("---") == "" and actor_country(None) == ""
    assert iso_date("20080804") == "2008-08-04" and iso_date("2023-11-22") == "2023-11-22"
    assert iso_date("121108") is None and iso_date(None) is None


def test_load_petr2_skips_dropped_events(tmp_path):
    rows = [{"id": "a", "text": "T", "date": "20080806", "no_events_expected": False, "gold_events": [
        {"plover": "dropped", "source_actor": [{"code": "USA"}], "target_actor": []},
        {"plover": "AGREE", "source_actor": [{"code": "BRA"}], "target_actor": [{"code": "USAGOV"}]}]},
        {"id": "b", "text": "U", "date": "121108", "no_events_expected": True, "gold_events": []}]
    (tmp_path / "petr2_gsr_validation.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    a, b = load_petr2(tmp_path)
    assert a.events == [GoldEvent("AGREE", ("BRA",), ("USA",))] and a.dropped == 1 and a.published == "2008-08-06"
    assert b.no_events and b.published is None and not a.no_events


def test_load_case_maps_acled_types(tmp_path):
    rows = [{"id": "1", "text": "a", "gold_events": [{"code": "AIR_STRIKE", "acled_sub_event_type": "Air/drone strike"}]},
            {"id": "2", "text": "b", "gold_events": [{"code": "ARREST", "acled_sub_event_type": "Arrests"}]},
            {"id": "3", "text": "c", "gold_events": [{"code": "DIPLO", "acled_sub_event_type": None}]},
            {"id": "4", "text": "d", "gold_events": [{"code": "OTHER", "acled_sub_event_type": "Other"}]}]
    (tmp_path / "case2021_task2_acled_types.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    c = load_case(tmp_path)
    assert [s.events[0].type if s.events else None for s in c] == ["ASSAULT", "COERCE", None, None]
    assert [s.scored for s in c] == [True, True, False, False]
    assert c[2].label == "(not ACLED) DIPLO"
    rows.append({"id": "5", "text": "e", "gold_events": [{"code": "NEW", "acled_sub_event_type": "Brand new type"}]})
    (tmp_path / "case2021_task2_acled_types.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(ValueError, match="neither mapped nor listed"):
        load_case(tmp_path)
    assert not set(ACLED_TO_PLOVER) & set(ACLED_UNMAPPED)


def test_load_seed_gold_fields(tmp_path):
    row = {"doc": "d.txt", "sentence_idx": 3, "text": "S", "events": [{
        "type": "ASSAULT", "mode": "aerial", "actor": {"text": "US", "country": "USA", "sector": "MIL"},
        "recipient": None, "location": {"name": "Baghdad", "country": "IRQ"}, "date": "2024-01-04",
        "dead": 1, "injured": None, "reported_only": False}]}
    (tmp_path / "seed_events.jsonl").write_text(json.dumps(row) + "\n" + json.dumps({**row, "sentence_idx": 4, "events": []}) + "\n")
    s, empty = load_seed_gold(tmp_path, {"d.txt": "2024-01-05"})
    e = s.events[0]
    assert (s.sid, s.published, s.no_events, empty.no_events) == ("d.txt#3", "2024-01-05", False, True)
    assert (e.type, e.actor, e.recipient, e.actor_sector, e.place_name, e.date, e.dead) == (
        "ASSAULT", "USA", "", "MIL", "Baghdad", "2024-01-04", 1)


def test_missing_gold_is_a_clear_error(tmp_path):
    with pytest.raises(GoldMissing, match="events gold not found.*petr2_gsr_validation.jsonl.*--gold"):
        load_petr2(tmp_path)
    (tmp_path / "seed_events.jsonl").write_text("{not json\n")
    with pytest.raises(ValueError, match="seed_events.jsonl:1: not a JSON line"):
        load_seed_gold(tmp_path)


# ---------------------------------------------------------------------------------------------
# Feeding the extractor and aligning its events
# ---------------------------------------------------------------------------------------------


def fake_event(t, a=None, r=None, start=0, end=0, **kw):
    base = dict(event_type=t, actor_country=a, recipient_country=r, mode=None, actor_sector=None,
                recipient_sector=None, event_date=None, place_name=None, place_country=None, dead=None, injured=None,
                reported_only=False, trigger="t", actor_text=None, recipient_text=None, sentence_start=start,
                sentence_end=end)
    return SimpleNamespace(**{**base, **kw})


def test_predict_sentences_feeds_each_sentence_with_its_date():
    calls = []

    def extract(doc_id, text, published):
        calls.append((doc_id, text, published))
        return [fake_event("ASSAULT", "USA")] if "strike" in text else []

    sents = [GoldSentence("a", "US strike.", "2008-08-04"), GoldSentence("b", "Nothing."), GoldSentence("c", "  ")]
    out = predict_sentences(sents, extract)
    assert calls == [("a", "US strike.", "2008-08-04"), ("b", "Nothing.", None)]  # empty text skipped
    assert out == {"a": [Pred("ASSAULT", "USA", "", reported_only=False, trigger="t", span=(0, 0))], "b": []}


def test_locate_sentences_in_order_and_whitespace_insensitive():
    text = "It said no. Then it left.\n\nIt said no. A  wrapped\nline here."
    spans = locate_sentences(text, ["It said no.", "Then it left.", "It said no.", "A wrapped line here.", "Absent."])
    assert [text[a:b] if (a, b) else None for a, b in spans[:3]] == ["It said no.", "Then it left.", "It said no."]
    assert spans[2][0] == 27  # the second occurrence, not the first again
    assert text[spans[3][0]:spans[3][1]] == "A  wrapped\nline here."
    assert spans[4] is None


def test_events_go_to_the_sentence_they_overlap_most():
    spans = [(0, 10), (11, 30), None, (31, 40)]
    evs = [p("A", span=(0, 10)), p("B", span=(5, 29)), p("C", span=(31, 40)), p("D", span=(50, 60))]
    by, unaligned = assign_to_sentences(evs, spans)
    assert {k: [e.type for e in v] for k, v in by.items()} == {0: ["A"], 1: ["B"], 3: ["C"]}
    assert [e.type for e in unaligned] == ["D"]
    by, unaligned = assign_to_sentences([p("tie", span=(5, 16)), p("touching", span=(30, 31))], spans)
    assert [e.type for e in by[0]] == ["tie"] and 1 not in by  # a tie goes to the earlier sentence
    assert [e.type for e in unaligned] == ["touching"]  # sharing only a boundary is no overlap


def test_predict_seed_articles_aligns_by_offsets(tmp_path):
    (tmp_path / "d.txt").write_text("raw")
    text = "Caption kept.\n\nIraq condemned the strike. US forces struck Baghdad."
    sents = [GoldSentence("d.txt#0", "Iraq condemned the strike.", "2024-01-05", [g("ACCUSE", "IRQ", "USA")],
                          doc="d.txt", idx=0),
             GoldSentence("d.txt#1", "US forces struck Baghdad.", "2024-01-05", [g("ASSAULT", "USA", "IRQ")],
                          doc="d.txt", idx=1)]
    a = text.index("Iraq")
    b = text.index("US forces")

    def extract(doc_id, t, published):
        assert (doc_id, t, published) == ("d", text, "2024-01-05")
        return [fake_event("ASSAULT", "USA", "IRQ", b, len(t)), fake_event("ACCUSE", "IRQ", "USA", a, b - 1),
                fake_event("AID", None, None, 0, 13)]

    run = predict_seed_articles(sents, tmp_path, extract, text_of=lambda path: text)
    assert [e.type for e in run.preds["d.txt#0"]] == ["ACCUSE"]
    assert [e.type for e in run.preds["d.txt#1"]] == ["ASSAULT"]
    assert [e.type for e in run.unaligned["d.txt"]] == ["AID"] and run.events == {"d.txt": 3}
    with pytest.raises(GoldMissing, match="seed article not found"):
        predict_seed_articles(sents, tmp_path / "nowhere", extract, text_of=lambda path: text)


# ---------------------------------------------------------------------------------------------
# Pairing events: attributes and "exactly right"
# ---------------------------------------------------------------------------------------------


def test_pairing_prefers_the_matching_actors_over_the_order():
    gold = [g("ASSAULT", "USA", "IRQ", date="2024-01-04"), g("ASSAULT", "IRQ", "USA"), g("ACCUSE", "IRQ", "USA")]
    pred = [p("ASSAULT", "IRQ", "USA"), p("ACCUSE", "IRQ", "USA"), p("ASSAULT", "USA", "IRQ"), p("AID")]
    pairs, lone_g, lone_p = pair_events(gold, pred)
    assert pairs == [(0, 2), (1, 0), (2, 1)] and lone_g == [] and lone_p == [3]
    # same actors on two candidates: the one with the right date wins
    pairs, _, lone_p = pair_events([g("ASSAULT", "USA", "IRQ", date="2024-01-04")],
                                   [p("ASSAULT", "USA", "IRQ"), p("ASSAULT", "USA", "IRQ", date="2024-01-04")])
    assert pairs == [(0, 1)] and lone_p == [0]
    # different types never pair
    assert pair_events([g("ACCUSE", "IRQ", "USA")], [p("ASSAULT", "IRQ", "USA")]) == ([], [0], [0])


def test_attribute_accuracy_over_paired_events():
    sents = [sent("s", g("ASSAULT", "USA", "IRQ", date="2024-01-04", dead=1, place_name="Baghdad", place_country="IRQ"),
                  g("ACCUSE", "IRQ", "USA"))]
    preds = {"s": [p("ASSAULT", "USA", "IRQ", date="2024-01-04", dead=2, place_name="baghdad ", place_country="IRQ"),
                   p("ACCUSE", "IRQ", "USA", date="2024-01-05")]}
    r = attribute_accuracy(sents, preds)
    a = r["attributes"]
    assert (r["gold_events"], r["paired"]) == (2, 2)
    assert (a["date"]["right"], a["date"]["n"], a["date"]["with_value"], a["date"]["with_value_right"]) == (1, 2, 1, 1)
    assert (a["dead"]["right"], a["dead"]["accuracy_with_value"]) == (1, 0.0)  # 1 vs 2 wrong; None vs None right
    assert a["place_name"]["right"] == 2  # case and spaces do not matter


def test_seed_exactness_lists_every_mismatch():
    sents = [sent("d#0", g("ASSAULT", "USA", "IRQ", date="2024-01-04", dead=1), doc="d", idx=0),
             sent("d#1", g("ACCUSE", "IRQ", "USA"), doc="d", idx=1),
             sent("d#2", doc="d", idx=2),
             sent("e#0", g("AID", "USA", "UKR"), doc="e", idx=0)]
    preds = {"d#0": [p("ASSAULT", "USA", "IRQ", date="2024-01-04", dead=2)],
             "d#1": [],
             "d#2": [p("PROTEST", "IRQ")],
             "e#0": [p("AID", "USA", "UKR")]}
    r = seed_exactness(sents, preds)
    assert r["e"] == {"gold_events": 1, "right": 1, "mismatches": [], "exact": True}
    d = r["d"]
    assert not d["exact"] and d["right"] == 0 and d["gold_events"] == 2
    assert [(m["sentence"], m["kind"]) for m in d["mismatches"]] == [(0, "wrong dead"), (1, "missed"), (2, "extra")]
    r = seed_exactness(sents[3:], preds, unaligned={"e": [p("AID")]})
    assert not r["e"]["exact"] and r["e"]["mismatches"][0]["kind"] == "extra (on no gold sentence)"


def test_error_analysis_kinds():
    sents = [sent("a", g("ACCUSE", "USA", "IRQ")),  # predicted ASSAULT instead: wrong type
             sent("b", g("CONSULT", "USA", "CHN")),  # nothing predicted: missed
             sent("c", g("COERCE", "GUY", "BRA")),  # right type, wrong actor
             sent("d", g("AGREE", "BRA", "USA")),  # right type and actor, wrong recipient
             sent("e")]  # no event expected
    preds = {"a": [p("ASSAULT", "IRQ")], "c": [p("COERCE", "BRA", "GUY")], "d": [p("AGREE", "BRA", "")],
             "e": [p("SUPPORT", "USA", "CHN"), p("ACCUSE")]}
    e = error_analysis(sents, preds)
    counts = {k: e[k]["count"] for k in ("missed_type", "wrong_type", "spurious_type", "wrong_actor",
                                         "wrong_recipient", "no_event")}
    assert counts == {"missed_type": 1, "wrong_type": 1, "spurious_type": 1, "wrong_actor": 1,
                      "wrong_recipient": 1, "no_event": 2}
    assert e["type_confusions"] == [{"gold": "ACCUSE", "predicted": "ASSAULT", "sentences": 1}]
    assert e["actor_confusions"] == [{"gold": "GUY", "predicted": "BRA", "count": 1}]
    assert error_analysis(sents, preds, types_only=True)["wrong_actor"]["count"] == 0
