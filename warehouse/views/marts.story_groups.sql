-- One row per story (singletons included): how many articles carried it, how many were
-- versions, copies (url / exact / near) and outlets, and when it first and last appeared.
CREATE OR REPLACE VIEW marts.story_groups AS
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
FROM staging.story_members m
GROUP BY m.story_id;
