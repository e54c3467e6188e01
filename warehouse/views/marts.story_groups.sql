-- One row per story (singletons included): how many articles carried it, how many were
-- versions, copies (url / exact / near) and outlets, and when it first and last appeared.
-- The same rows as grouping staging.story_members by story_id, computed in two parts so that a
-- query on stories carried more than once (n_articles > 1) never touches the singletons: the
-- stories some duplicate points to, grouped; and every other original, a story of one article.
CREATE OR REPLACE VIEW marts.story_groups AS
WITH copied AS (
    SELECT DISTINCT duplicate_of AS story_id FROM staging.duplicates
),
ids AS (   -- their first articles (originals) and the duplicates
    SELECT story_id, story_id AS article_id, 'original' AS reason FROM copied
    WHERE story_id NOT IN (SELECT article_id FROM staging.duplicates)
    UNION ALL
    SELECT duplicate_of, article_id, reason FROM staging.duplicates
),
members AS (
    SELECT i.story_id, i.reason, a.url_key, a.url, a.source, a.title, a.published_at
    FROM ids i
    JOIN staging.articles a ON a.article_id = i.article_id
),
m AS (
    SELECT *, staging.story_outlet(url_key, url, source) AS outlet FROM members
)
SELECT
    m.story_id                                            AS group_id,
    any_value(m.title) FILTER (WHERE m.reason = 'original') AS title,
    count(*)                                              AS n_articles,
    count(*) FILTER (WHERE m.reason IN ('original', 'version')) AS n_versions,
    count(*) FILTER (WHERE m.reason IN ('url', 'exact', 'near')) AS n_copies,
    count(DISTINCT m.outlet)                              AS n_outlets,
    list(DISTINCT m.outlet ORDER BY m.outlet)             AS outlets,
    min(m.published_at)                                   AS first_published_at,
    max(m.published_at)                                   AS last_published_at
FROM m
GROUP BY m.story_id
UNION ALL
SELECT a.article_id, a.title, 1, 1, 0, 1, [staging.story_outlet(a.url_key, a.url, a.source)],
       a.published_at, a.published_at
FROM staging.articles a
WHERE a.article_id NOT IN (SELECT article_id FROM staging.duplicates)
  AND a.article_id NOT IN (SELECT story_id FROM copied);
