-- The history of each story told under one URL: version 1 is the first article, each later
-- one is new text under the same canonical URL (dedup reason "version"), in order of
-- publication, then of fetching. similarity_to_first is the containment of the two texts.
-- The rows of staging.story_members with reason original or version, numbered per story, in two
-- parts: the stories that have versions, numbered; every other original, version 1 of 1 (so
-- that marts.articles, which wants each story's latest version, numbers only the former).
CREATE OR REPLACE VIEW marts.article_versions AS
WITH versioned AS (
    SELECT DISTINCT duplicate_of AS story_id FROM staging.duplicates WHERE reason = 'version'
),
ids AS (   -- their first articles (originals) and versions
    SELECT story_id, story_id AS article_id, NULL::DOUBLE AS score FROM versioned
    WHERE story_id NOT IN (SELECT article_id FROM staging.duplicates)
    UNION ALL
    SELECT duplicate_of, article_id, score FROM staging.duplicates WHERE reason = 'version'
),
members AS (
    SELECT i.story_id, a.article_id, a.raw_id, i.score, a.title, a.url, a.published_at, a.word_count
    FROM ids i
    JOIN staging.articles a ON a.article_id = i.article_id
)
SELECT
    m.story_id,
    m.article_id,
    row_number() OVER w                                        AS version,
    count(*) OVER (PARTITION BY m.story_id)                    AS n_versions,
    row_number() OVER w = count(*) OVER (PARTITION BY m.story_id) AS is_latest,
    m.score                                                    AS similarity_to_first,
    m.title, m.url, m.published_at, r.fetched_at, m.word_count
FROM members m
LEFT JOIN raw.documents r ON r.raw_id = m.raw_id
WINDOW w AS (PARTITION BY m.story_id
             ORDER BY m.article_id <> m.story_id, m.published_at NULLS LAST, r.fetched_at, m.article_id)
UNION ALL
SELECT a.article_id, a.article_id, 1, 1, true, NULL, a.title, a.url, a.published_at, r.fetched_at, a.word_count
FROM staging.articles a
LEFT JOIN raw.documents r ON r.raw_id = a.raw_id
WHERE a.article_id NOT IN (SELECT article_id FROM staging.duplicates)
  AND a.article_id NOT IN (SELECT story_id FROM versioned);
