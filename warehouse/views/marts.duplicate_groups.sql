-- Each story seen more than once, one row per member (the first article included, reason
-- 'original'), with why it joined and its similarity score. The group's canonical article is
-- its earliest full copy: the earliest member with at least 90% of the longest copy's words
-- (a truncated copy that arrived first is not canonical). Later versions (new text under the
-- same URL) are members but not candidates: marts.article_versions has them.
-- Members are staging.story_members' rows, read from the tables for the stories some duplicate
-- points to only (any story of more than one article is one of them).
CREATE OR REPLACE VIEW marts.duplicate_groups AS
WITH copied AS (
    SELECT DISTINCT duplicate_of AS story_id FROM staging.duplicates
),
ids AS (   -- their first articles (originals) and the duplicates
    SELECT story_id, story_id AS article_id, 'original' AS reason, NULL::DOUBLE AS score FROM copied
    WHERE story_id NOT IN (SELECT article_id FROM staging.duplicates)
    UNION ALL
    SELECT duplicate_of, article_id, reason, score FROM staging.duplicates
),
members AS (
    SELECT a.article_id, i.story_id, i.reason, i.score,
           a.source, a.url_key, a.url, a.published_at, a.word_count, a.raw_id
    FROM ids i
    JOIN staging.articles a ON a.article_id = i.article_id
),
g AS (
    SELECT m.*,
           staging.story_outlet(m.url_key, m.url, m.source) AS outlet,
           r.fetched_at,
           count(*) OVER (PARTITION BY m.story_id)        AS n_members,
           max(m.word_count) FILTER (WHERE m.reason <> 'version') OVER (PARTITION BY m.story_id) AS max_words
    FROM members m
    LEFT JOIN raw.documents r ON r.raw_id = m.raw_id
),
canon AS (
    SELECT story_id,
           first(article_id ORDER BY published_at NULLS LAST, fetched_at, article_id) AS canonical_id
    FROM g
    WHERE n_members > 1 AND reason <> 'version' AND word_count >= 0.9 * max_words
    GROUP BY story_id
)
SELECT
    g.story_id           AS group_id,
    c.canonical_id,
    ca.title             AS canonical_title,
    ca.source            AS canonical_source,
    g.article_id         AS member_id,
    g.source             AS member_source,
    g.outlet             AS member_outlet,
    g.url                AS member_url,
    g.published_at       AS member_published_at,
    g.reason,
    g.score,
    g.article_id = c.canonical_id AS is_canonical
FROM g
JOIN canon c ON c.story_id = g.story_id
JOIN staging.articles ca ON ca.article_id = c.canonical_id;
