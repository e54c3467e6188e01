"""Stories in the warehouse: versions, duplicate groups, outlets per story, stories per day.

A hand-built night: one story carried as a truncated partner copy first, then the full
original, an updated version under the original's URL, an exact mirror and a near copy on a
third outlet; plus a story seen once. Dedup decides (the real dedup_batch), the load writes,
the views answer.
"""

from __future__ import annotations

from tasks.dedup import MemoryIndex, dedup_batch
from tasks.load import Batch, load_batch
from tasks.records import Article, RunSummary
from tasks.sources import raw_document
from tasks.warehouse import query, run_checks

NOW = "2026-11-23T02:00:00+00:00"
PARAS = [
    "Floodwater swept through the valley town of Ashford on Sunday, forcing hundreds of residents "
    "from their homes as the river rose higher than at any time in the past forty years.",
    "Emergency crews worked through the night with boats and tractors, and the county council opened "
    "three schools as shelters for families who could not stay with relatives nearby.",
    "Forecasters said more heavy rain was expected on Monday, and the environment agency kept severe "
    "warnings in place for the lower valley, where the embankments are oldest.",
    "Farmers counted the cost of drowned fields and lost livestock, and the regional minister promised "
    "an emergency fund for repairs to roads, bridges and the water treatment plant.",
]
FULL = "\n\n".join(PARAS)
UPDATED = FULL.replace("hundreds of residents", "more than 800 residents") + (
    "\n\nBy Monday evening the river had begun to fall, and the first families were allowed back "
    "into streets on the higher side of the town to inspect the damage.")
OTHER = ("The city council approved a new cycle lane network on Tuesday after a long debate about "
         "parking spaces, bus routes and the cost of resurfacing the ring road.")


def article(source: str, url: str, text: str, published: str, title: str) -> tuple:
    doc = raw_document(source, url.rsplit("/", 1)[-1] + ".html", "html", text.encode(), NOW,
                       url=url, published=published)
    art = Article(doc.raw_id, doc.raw_id, source, url, None, title, (), published, "source", "en", None, text)
    return doc, art


def build(tmp_path):
    night = [
        article("partner", "https://partner.example.org/ashford-floods", "\n\n".join(PARAS[:2]),
                "2024-01-07T09:00:00+00:00", "Floods in Ashford"),
        article("herald", "https://www.herald.example.com/news/ashford-floods", FULL,
                "2024-01-07T10:00:00+00:00", "Floods force hundreds from homes in Ashford"),
        article("herald", "https://herald.example.com/news/ashford-floods?utm_source=rss", UPDATED,
                "2024-01-08T18:00:00+00:00", "Floods: 800 forced from homes in Ashford"),
        article("mirror", "https://mirror.example.net/copy/ashford", FULL,
                "2024-01-07T11:00:00+00:00", "Floods force hundreds from homes in Ashford"),
        article("wire", "https://wire.example.net/x/ashford", "ASHFORD (Wire) - " + FULL + "\n\nAdvertisement",
                "2024-01-08T07:00:00+00:00", "UPDATE 1-Ashford floods"),
        article("herald", "https://herald.example.com/news/cycle-lanes", OTHER,
                "2024-01-08T08:00:00+00:00", "Cycle lanes approved"),
    ]
    docs = tuple(d for d, _ in night)
    arts = tuple(a for _, a in night)
    decisions, fps = dedup_batch(arts, MemoryIndex())
    db = tmp_path / "w.duckdb"
    summary = RunSummary("run-1", NOW, NOW, "completed", 5, 6, 2, 4, 0, 0, 0.1, {})
    load_batch(db, Batch("run-1", docs, arts, tuple(decisions), tuple(fps)), summary)
    return db, arts, decisions


def test_dedup_decides_each_kind(tmp_path):
    _, arts, decisions = build(tmp_path)
    partner, full, update, mirror, wire, other = (a.article_id for a in arts)
    got = [(d.duplicate_of, d.reason) for d in decisions]
    assert got == [(None, None), (partner, "near"), (partner, "version"), (partner, "exact"),
                   (partner, "near"), (None, None)]


def test_versions_and_latest_version_by_default(tmp_path):
    db, arts, _ = build(tmp_path)
    partner, full, update, *_ = (a.article_id for a in arts)
    _, rows = query(db, "SELECT article_id, version, n_versions, is_latest FROM marts.article_versions "
                        "WHERE story_id = ? ORDER BY version", [partner])
    assert rows == [(partner, 1, 2, False), (update, 2, 2, True)]
    _, rows = query(db, "SELECT article_id, version_id, version, title, n_copies, published_at::VARCHAR, "
                        "modified_at::VARCHAR FROM marts.articles ORDER BY published_at")
    assert rows[0] == (partner, update, 2, "Floods: 800 forced from homes in Ashford", 3,
                       "2024-01-07 09:00:00+00", "2024-01-08 18:00:00+00")
    assert rows[1][2:4] == (1, "Cycle lanes approved")
    assert len(rows) == 2


def test_groups_canonical_is_the_earliest_full_copy(tmp_path):
    db, arts, _ = build(tmp_path)
    partner, full, update, mirror, wire, _ = (a.article_id for a in arts)
    _, rows = query(db, "SELECT DISTINCT group_id, canonical_id, canonical_title FROM marts.duplicate_groups")
    # The partner's truncated copy came first (it is the group's key); the herald's full text is canonical.
    assert rows == [(partner, full, "Floods force hundreds from homes in Ashford")]
    _, rows = query(db, "SELECT member_id, reason, score IS NOT NULL, is_canonical FROM marts.duplicate_groups "
                        "ORDER BY member_published_at")
    assert rows == [(partner, "original", False, False), (full, "near", True, True), (mirror, "exact", True, False),
                    (wire, "near", True, False), (update, "version", True, False)]


def test_outlets_per_story_and_stories_per_day(tmp_path):
    db, arts, _ = build(tmp_path)
    partner = arts[0].article_id
    _, rows = query(db, "SELECT n_articles, n_versions, n_copies, n_outlets, outlets FROM marts.story_groups "
                        "WHERE group_id = ?", [partner])
    assert rows == [(5, 2, 3, 4, ["herald.example.com", "mirror.example.net", "partner.example.org",
                                  "wire.example.net"])]
    _, rows = query(db, "SELECT outlet, n_articles FROM marts.story_outlets WHERE group_id = ? ORDER BY outlet",
                    [partner])
    assert rows == [("herald.example.com", 2), ("mirror.example.net", 1), ("partner.example.org", 1),
                    ("wire.example.net", 1)]
    _, rows = query(db, "SELECT day::VARCHAR, n_stories, n_new_stories, n_articles, n_outlets "
                        "FROM marts.stories_per_day ORDER BY day")
    assert rows == [("2024-01-07", 1, 1, 3, 3), ("2024-01-08", 2, 1, 3, 2)]
    assert run_checks(db) == {}
