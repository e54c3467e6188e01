-- Distinct stories per day of publication: stories with any article that day, stories that
-- first appeared that day, and all articles (copies included) and outlets that day.
-- (staging.story_members' columns, read from the tables: no join to raw.documents.)
CREATE OR REPLACE VIEW marts.stories_per_day AS
WITH m AS (
    SELECT coalesce(d.duplicate_of, a.article_id)           AS story_id,
           staging.story_outlet(a.url_key, a.url, a.source) AS outlet,
           a.published_date
    FROM staging.articles a
    LEFT JOIN staging.duplicates d ON d.article_id = a.article_id
),
first_day AS (
    SELECT story_id, min(published_date) AS day FROM m GROUP BY story_id
)
SELECT
    m.published_date                         AS day,
    count(DISTINCT m.story_id)               AS n_stories,
    count(DISTINCT m.story_id) FILTER (WHERE f.day = m.published_date) AS n_new_stories,
    count(*)                                 AS n_articles,
    count(DISTINCT m.outlet)                 AS n_outlets
FROM m
JOIN first_day f ON f.story_id = m.story_id
GROUP BY m.published_date;
