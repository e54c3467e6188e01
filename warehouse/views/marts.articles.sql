-- Unique articles, one row per story, showing its latest version: article_id is the story's
-- first article (the key events and duplicates point to), version_id the version shown.
-- n_events counts the event mentions extracted from it. Title, text and metadata are the latest version's; published_at is when the story first
-- appeared. marts.article_versions has the history.
-- The latest row of each story in marts.article_versions, in two parts: the stories with later
-- versions (version > 1: a story's first article is always its version 1, see
-- warehouse/checks/duplicates_*.sql), joined to their first and latest articles; and every
-- other original, its own latest version, read straight from staging.articles. The counts are
-- joined pre-aggregated (a query that does not read n_copies skips it).
CREATE OR REPLACE VIEW marts.articles AS
WITH stories AS (
    SELECT
        f.article_id, l.source, l.url, l.title, l.authors, f.published_at, f.published_date,
        coalesce(l.modified_at, l.published_at) AS modified_at,
        l.language, l.site_name, l.section, l.tags, l.image_url, l.word_count, l.text,
        v.article_id AS version_id,
        v.version
    FROM marts.article_versions v
    JOIN staging.articles l ON l.article_id = v.article_id
    JOIN staging.articles f ON f.article_id = v.story_id
    WHERE v.is_latest AND v.version > 1
    UNION ALL
    SELECT
        a.article_id, a.source, a.url, a.title, a.authors, a.published_at, a.published_date,
        a.modified_at,
        a.language, a.site_name, a.section, a.tags, a.image_url, a.word_count, a.text,
        a.article_id AS version_id,
        1 AS version
    FROM staging.articles a
    WHERE a.article_id NOT IN (SELECT article_id FROM staging.duplicates)
      AND a.article_id NOT IN (SELECT duplicate_of FROM staging.duplicates WHERE reason = 'version')
)
SELECT
    s.*,
    coalesce(c.n_copies, 0) AS n_copies,
    coalesce(e.n_events, 0) AS n_events
FROM stories s
LEFT JOIN (SELECT duplicate_of, count(*) AS n_copies FROM staging.duplicates WHERE reason <> 'version'
           GROUP BY duplicate_of) c ON c.duplicate_of = s.article_id
LEFT JOIN (SELECT article_id, count(*) AS n_events FROM staging.event_mentions GROUP BY article_id) e
       ON e.article_id = s.article_id;
