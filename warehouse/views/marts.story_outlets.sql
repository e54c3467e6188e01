-- Outlets per story: one row per story and outlet that carried it. (staging.story_members'
-- columns, read from the tables: no join to raw.documents, whose fetched_at is not needed.)
CREATE OR REPLACE VIEW marts.story_outlets AS
WITH m AS (
    SELECT coalesce(d.duplicate_of, a.article_id)           AS story_id,
           coalesce(d.reason, 'original')                   AS reason,
           staging.story_outlet(a.url_key, a.url, a.source) AS outlet,
           a.published_at
    FROM staging.articles a
    LEFT JOIN staging.duplicates d ON d.article_id = a.article_id
)
SELECT
    m.story_id                          AS group_id,
    m.outlet,
    count(*)                            AS n_articles,
    list(DISTINCT m.reason ORDER BY m.reason) AS reasons,
    min(m.published_at)                 AS first_published_at
FROM m
GROUP BY m.story_id, m.outlet;
