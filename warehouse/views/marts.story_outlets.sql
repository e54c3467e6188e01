-- Outlets per story: one row per story and outlet that carried it.
CREATE OR REPLACE VIEW marts.story_outlets AS
SELECT
    m.story_id                          AS group_id,
    m.outlet,
    count(*)                            AS n_articles,
    list(DISTINCT m.reason ORDER BY m.reason) AS reasons,
    min(m.published_at)                 AS first_published_at
FROM staging.story_members m
GROUP BY m.story_id, m.outlet;
