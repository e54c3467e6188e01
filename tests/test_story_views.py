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


# The story marts are computed in parts for speed (make bench-queries): the stories some duplicate
# points to, and the singletons, apart. Each must give exactly the rows of its plain definition
# over staging.story_members, written here as it was before that split.
PLAIN = {
    "marts.story_groups": """
        SELECT story_id AS group_id, any_value(title) FILTER (WHERE reason = 'original') AS title,
               count(*) AS n_articles, count(*) FILTER (WHERE reason IN ('original', 'version')) AS n_versions,
               count(*) FILTER (WHERE reason IN ('url', 'exact', 'near')) AS n_copies,
               count(DISTINCT outlet) AS n_outlets, list(DISTINCT outlet ORDER BY outlet) AS outlets,
               min(published_at) AS first_published_at, max(published_at) AS last_published_at
        FROM staging.story_members GROUP BY story_id""",
    "marts.story_outlets": """
        SELECT story_id AS group_id, outlet, count(*) AS n_articles,
               list(DISTINCT reason ORDER BY reason) AS reasons, min(published_at) AS first_published_at
        FROM staging.story_members GROUP BY story_id, outlet""",
    "marts.stories_per_day": """
        WITH f AS (SELECT story_id, min(published_date) AS day FROM staging.story_members GROUP BY story_id)
        SELECT m.published_date AS day, count(DISTINCT m.story_id) AS n_stories,
               count(DISTINCT m.story_id) FILTER (WHERE f.day = m.published_date) AS n_new_stories,
               count(*) AS n_articles, count(DISTINCT m.outlet) AS n_outlets
        FROM staging.story_members m JOIN f ON f.story_id = m.story_id GROUP BY m.published_date""",
    "marts.article_versions": """
        SELECT story_id, article_id, row_number() OVER w AS version,
               count(*) OVER (PARTITION BY story_id) AS n_versions,
               row_number() OVER w = count(*) OVER (PARTITION BY story_id) AS is_latest,
               score AS similarity_to_first, title, url, published_at, fetched_at, word_count
        FROM staging.story_members WHERE reason IN ('original', 'version')
        WINDOW w AS (PARTITION BY story_id
                     ORDER BY article_id <> story_id, published_at NULLS LAST, fetched_at, article_id)""",
    "marts.articles": """
        SELECT f.article_id, l.source, l.url, l.title, l.authors, f.published_at, f.published_date,
               CASE WHEN v.version > 1 THEN coalesce(l.modified_at, l.published_at) ELSE l.modified_at END
                   AS modified_at,
               l.language, l.site_name, l.section, l.tags, l.image_url, l.word_count, l.text,
               v.article_id AS version_id, v.version,
               (SELECT count(*) FROM staging.duplicates d
                 WHERE d.duplicate_of = f.article_id AND d.reason <> 'version') AS n_copies,
               (SELECT count(*) FROM staging.event_mentions e WHERE e.article_id = f.article_id) AS n_events
        FROM marts.article_versions v
        JOIN staging.articles l ON l.article_id = v.article_id
        JOIN staging.articles f ON f.article_id = v.story_id
        WHERE v.is_latest""",
    "marts.duplicate_groups": """
        WITH g AS (
            SELECT m.*, count(*) OVER (PARTITION BY m.story_id) AS n_members,
                   max(m.word_count) FILTER (WHERE m.reason <> 'version') OVER (PARTITION BY m.story_id) AS max_words
            FROM staging.story_members m),
        canon AS (
            SELECT story_id, first(article_id ORDER BY published_at NULLS LAST, fetched_at, article_id) AS canonical_id
            FROM g WHERE n_members > 1 AND reason <> 'version' AND word_count >= 0.9 * max_words GROUP BY story_id)
        SELECT g.story_id AS group_id, c.canonical_id, ca.title AS canonical_title, ca.source AS canonical_source,
               g.article_id AS member_id, g.source AS member_source, g.outlet AS member_outlet,
               g.url AS member_url, g.published_at AS member_published_at, g.reason, g.score,
               g.article_id = c.canonical_id AS is_canonical
        FROM g JOIN canon c ON c.story_id = g.story_id JOIN staging.articles ca ON ca.article_id = c.canonical_id""",
}


def test_story_marts_equal_their_plain_definitions(tmp_path):
    db, _, _ = build(tmp_path)
    # A second night: a story from a text file (no URL: its outlet is its source) and its copy
    # elsewhere, with no versions; and a story seen once on a page.
    night = [
        article("partner", "https://partner.example.org/cycle-lanes", OTHER, "2024-01-08T12:00:00+00:00",
                "Council backs cycle lanes"),
        article("wire", "https://WWW.Wire.example.net:443/y/budget", "The finance minister presented the "
                "budget on Wednesday, with higher spending on schools and hospitals and a new tax on "
                "short-haul flights that airlines said would cost jobs.", "2024-01-09T09:00:00+00:00", "Budget"),
    ]
    doc = raw_document("notes", "notes/storm.txt", "text", PARAS[2].encode(), NOW)
    night += [(doc, Article(doc.raw_id, doc.raw_id, "notes", None, None, "Storm warnings", (),
                            "2024-01-09T06:00:00+00:00", "source", "en", None, PARAS[2]))]
    copy, copied = article("mirror", "https://mirror.example.net/copy/storm", PARAS[2], "2024-01-09T08:00:00+00:00",
                           "Storm warnings")
    night += [(copy, copied)]
    arts = tuple(a for _, a in night)
    decisions, fps = dedup_batch(arts, MemoryIndex())
    summary = RunSummary("run-2", NOW, NOW, "completed", 4, 4, 1, 3, 0, 0, 0.1, {})
    load_batch(db, Batch("run-2", tuple(d for d, _ in night), arts, tuple(decisions), tuple(fps)), summary)
    assert [d.reason for d in decisions] == [None, None, None, "exact"]
    _, outlets = query(db, "SELECT outlet FROM staging.story_members WHERE article_id IN (?, ?, ?) ORDER BY outlet",
                       [a.article_id for a in arts[1:]])
    assert outlets == [("mirror.example.net",), ("notes",), ("wire.example.net",)]
    for view, plain in PLAIN.items():
        cols, rows = query(db, f"SELECT * FROM {view}")  # noqa: S608 (fixed names)
        plain_cols, plain_rows = query(db, plain)
        assert cols == plain_cols, view
        assert sorted(map(repr, rows)) == sorted(map(repr, plain_rows)), view
        assert rows, view
    _, n = query(db, "SELECT count(*) FROM marts.story_groups")
    assert n == [(5,)]
