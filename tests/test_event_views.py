"""Events across articles: mentions grouped into real-world events, counted once per story.

Three outlets, two stories: the herald's report and the wire's rewrite of the same drone strike
(different texts), and a mirror's exact copy of the herald's. The real dedup and extractor
decide; the load writes; marts.events answers.
"""

from __future__ import annotations

from tasks.dedup import MemoryIndex, dedup_batch
from tasks.events import QUAD_CLASS, cameo_root, extract_events
from tasks.load import Batch, load_batch
from tasks.records import Article, RunSummary
from tasks.sources import raw_document
from tasks.warehouse import query, run_checks

NOW = "2026-11-23T02:00:00+00:00"
HERALD = ("American forces launched a drone strike on a militia base in central Baghdad on Thursday, "
          "killing two fighters.\n\nThe Pentagon said the strike targeted a weapons depot used in recent "
          "attacks on bases that house US troops in the region.")
WIRE = ("US forces carried out a drone strike on an Iraqi militia base in central Baghdad on Thursday, "
        "killing two fighters, the Pentagon said.\n\nThe base stored drones and rockets, according to "
        "a statement released late on Thursday night by the defence department.")
OTHER = ("Farmers in the north of the country protested on Friday against new water charges, "
         "blocking a highway for several hours.")


def build(tmp_path):
    rows = [("herald", "https://herald.example.com/strike", HERALD, "2024-01-05T08:00:00+00:00"),
            ("wire", "https://wire.example.net/strike", WIRE, "2024-01-05T09:00:00+00:00"),
            ("mirror", "https://mirror.example.org/copy", HERALD, "2024-01-05T10:00:00+00:00"),
            ("herald", "https://herald.example.com/farmers", OTHER, "2024-01-06T08:00:00+00:00")]
    docs, arts = [], []
    for source, url, text, published in rows:
        d = raw_document(source, url.rsplit("/", 1)[-1], "html", text.encode(), NOW, url=url, published=published)
        docs.append(d)
        arts.append(Article(d.raw_id, d.raw_id, source, url, None, None, (), published, "source", "en", None, text))
    decisions, fps = dedup_batch(arts, MemoryIndex())
    unique = [a for a, d in zip(arts, decisions) if not d.duplicate_of]
    events = [e for a in unique for e in extract_events(a.article_id, a.text, a.published)]
    db = tmp_path / "w.duckdb"
    summary = RunSummary("run-1", NOW, NOW, "completed", 4, 4, 3, 1, 0, len(events), 0.1, {})
    load_batch(db, Batch("run-1", tuple(docs), tuple(arts), tuple(decisions), tuple(fps), tuple(events)), summary)
    return db, arts, decisions, events


def test_one_strike_reported_by_two_stories_and_three_outlets_is_one_event(tmp_path):
    db, arts, decisions, events = build(tmp_path)
    assert [d.reason for d in decisions] == [None, None, "exact", None]
    strikes = [e for e in events if (e.event_type, e.actor_country, e.recipient_country) == ("ASSAULT", "USA", "IRQ")]
    assert len(strikes) == 3  # two sentences of the herald's, one of the wire's
    assert {e.article_id for e in strikes} == {arts[0].article_id, arts[1].article_id}  # not the mirror's copy
    _, rows = query(db, "SELECT event_type, mode, actor_country, recipient_country, event_date::VARCHAR, dead, "
                        "num_mentions, num_articles, num_sources, cameo_root, quad_class FROM marts.events "
                        "WHERE event_type = 'ASSAULT' AND recipient_country = 'IRQ'")
    assert rows == [("ASSAULT", "drone", "USA", "IRQ", "2024-01-04", 2, 3, 2, 3, "19", 4)]
    # Every mention points at its event; the mentions keep sentence, offsets and provenance.
    _, rows = query(db, "SELECT count(DISTINCT m.event_id), bool_and(m.sentence = substr(a.text, m.sentence_start + 1, "
                        "m.sentence_end - m.sentence_start)), bool_and(m.dictionary_version <> ''), "
                        "bool_and(m.extractor_version <> '') FROM marts.event_mentions m JOIN staging.articles a "
                        "USING (article_id) WHERE m.event_type = 'ASSAULT' AND m.recipient_country = 'IRQ'")
    assert rows == [(1, True, True, True)]
    _, rows = query(db, "SELECT n_events, n_mentions, dead FROM marts.daily_events WHERE event_type = 'ASSAULT' "
                        "AND event_date = '2024-01-04'")
    assert rows == [(1, 3, 2)]  # the dead counted once, not once per report
    assert run_checks(db) == {}


def test_event_ids_are_stable_and_reloading_changes_nothing(tmp_path):
    db, arts, decisions, events = build(tmp_path)
    _, first = query(db, "SELECT event_id, num_mentions FROM marts.events ORDER BY event_id")
    summary = RunSummary("run-1", NOW, NOW, "completed", 4, 4, 3, 1, 0, len(events), 0.1, {})
    docs = [raw_document(a.source, a.url.rsplit("/", 1)[-1], "html", a.text.encode(), NOW, url=a.url,
                         published=a.published) for a in arts]
    load_batch(db, Batch("run-1", tuple(docs), tuple(arts), tuple(decisions), (), tuple(events)), summary)
    assert query(db, "SELECT event_id, num_mentions FROM marts.events ORDER BY event_id")[1] == first


def test_cameo_roots_and_quad_classes():
    assert cameo_root("ASSAULT", "aerial") == "19" and cameo_root("ASSAULT", "abduct") == "18"
    assert cameo_root("PROTEST", "demo") == "14" and cameo_root("ACCUSE") == "11" and cameo_root("CONSULT", "visit") == "04"
    assert {QUAD_CLASS[t] for t in ("AGREE", "CONSULT", "SUPPORT", "CONCEDE")} == {1}
    assert {QUAD_CLASS[t] for t in ("COOPERATE", "AID", "RETREAT")} == {2}
    assert {QUAD_CLASS[t] for t in ("REQUEST", "ACCUSE", "REJECT", "THREATEN")} == {3}
    assert {QUAD_CLASS[t] for t in ("PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT")} == {4}
    assert len(QUAD_CLASS) == 16


def test_reprocess_events_redoes_stale_mentions_and_is_idempotent(tmp_path):
    import duckdb

    from flows.cli import main
    from tasks.settings import Settings

    db, arts, decisions, events = build(tmp_path)
    q = "SELECT * EXCLUDE (run_id) FROM staging.event_mentions ORDER BY mention_id"
    fresh = query(db, q)[1]
    # What an older extractor left: one mention lost, one wrong mention added.
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM staging.event_mentions WHERE mention_id = ?", [fresh[0][0]])
        con.execute("INSERT INTO staging.event_mentions SELECT * REPLACE ('stale' AS mention_id, 'PROTEST' AS event_type) "
                    "FROM staging.event_mentions LIMIT 1")
    assert query(db, q)[1] != fresh

    from flows.reprocess import reprocess_events

    pages = []
    s = reprocess_events(Settings.from_env(db_path=db), page_size=2, progress=lambda a, m: pages.append(a))
    assert (s.articles, s.mentions_before, s.mentions_after) == (3, len(fresh), len(fresh))
    assert pages == [2, 3]  # two pages of unique articles (the mirror's copy is a duplicate)
    assert query(db, q)[1] == fresh
    assert run_checks(db) == {}
    import io

    out = io.StringIO()
    assert main(["reprocess", "--events", "--db", str(db)], out=out) == 0  # again: nothing changes
    assert f"3 articles, event mentions {len(fresh)} -> {len(fresh)}" in out.getvalue()
    assert query(db, q)[1] == fresh
    assert main(["reprocess", "--events", "--db", str(tmp_path / "none.duckdb")], out=out) == 2


def test_a_mention_that_leaves_the_recipient_unnamed_joins_the_event_that_names_it(tmp_path):
    from dataclasses import replace

    texts = ["US forces carried out a drone strike on an Iraqi militia base in central Baghdad on Thursday.",
             "A US drone strike hit central Baghdad on Thursday, the Pentagon said."]
    docs, arts, events = [], [], []
    for i, text in enumerate(texts):
        d = raw_document(f"outlet{i}", f"{i}.html", "html", text.encode(), NOW, url=f"https://o{i}.example.net/a",
                         published="2024-01-05T09:00:00+00:00")
        docs.append(d)
        arts.append(Article(d.raw_id, d.raw_id, d.source, d.url, None, None, (), d.published, "source", "en", None, text))
    first, = [e for e in extract_events(arts[0].article_id, texts[0], arts[0].published) if e.event_type == "ASSAULT"]
    assert (first.actor_country, first.recipient_country, first.place_country) == ("USA", "IRQ", "IRQ")
    # the second report as a weaker extractor might code it: no recipient
    second = replace(first, mention_id="m2", article_id=arts[1].article_id, sentence=texts[1], sentence_start=0,
                     sentence_end=len(texts[1]), recipient_text=None, recipient_name=None, recipient_country=None,
                     recipient_sector=None)
    db = tmp_path / "w.duckdb"
    decisions, fps = dedup_batch(arts, MemoryIndex())
    load_batch(db, Batch("run-1", tuple(docs), tuple(arts), tuple(decisions), tuple(fps), (first, second)),
               RunSummary("run-1", NOW, NOW, "completed", 2, 2, 2, 0, 0, 2, 0.1, {}))
    _, rows = query(db, "SELECT actor_country, recipient_country, num_mentions, num_articles FROM marts.events")
    assert rows == [("USA", "IRQ", 2, 2)]
    # with two different named recipients that day, the unnamed one stays apart
    third = replace(first, mention_id="m3", recipient_country="SYR")
    load_batch(db, Batch("run-2", events=(third,)), RunSummary("run-2", NOW, NOW, "completed", 0, 0, 0, 0, 0, 1, 0.1, {}))
    _, rows = query(db, "SELECT actor_country, recipient_country, num_mentions FROM marts.events ORDER BY ALL")
    assert rows == [("USA", "IRQ", 1), ("USA", "SYR", 1), ("USA", None, 1)]
    assert run_checks(db) == {}


def test_the_event_tables_refilled_a_part_at_a_time_are_the_same(tmp_path, monkeypatch):
    """refresh_event_tables refills marts.events in parts of REFRESH_PART_MENTIONS mentions and the
    clusters one event type at a time (flat memory); with one mention per part it gives the same
    rows as in one part."""
    import tasks.warehouse as warehouse
    from tasks.load import refresh_events

    db, _, _, events = build(tmp_path)
    read = "SELECT * FROM {} ORDER BY ALL"
    whole = [query(db, read.format(t))[1] for t in ("staging.event_clusters", "marts.events")]
    assert len(events) >= 4 and len(whole[1]) >= 3
    used, real_sql = [], warehouse.sql
    monkeypatch.setattr(warehouse, "sql", lambda name: used.append(name) or real_sql(name))
    monkeypatch.setattr(warehouse, "REFRESH_PART_MENTIONS", 1)
    refresh_events(db)
    assert used.count("refresh_events") == len(events)  # a part per mention
    assert used.count("refresh_event_clusters") == len({e.event_type for e in events})
    assert [query(db, read.format(t))[1] for t in ("staging.event_clusters", "marts.events")] == whole
