-- Unique articles, one row per story, showing its latest version: article_id is the story's
-- first article (the key events and duplicates point to), version_id the version shown.
-- n_events counts the event mentions extracted from it. Title, text and metadata are the latest version's; published_at is when the story first
-- appeared. marts.article_versions has the history.
CREATE OR REPLACE VIEW marts.articles AS
SELECT
    f.article_id, l.source, l.url, l.title, l.authors, f.published_at, f.published_date,
    CASE WHEN v.version > 1 THEN coalesce(l.modified_at, l.published_at) ELSE l.modified_at END AS modified_at,
    l.language, l.site_name, l.section, l.tags, l.image_url, l.word_count, l.text,
    v.article_id AS version_id,
    v.version,
    (SELECT count(*) FROM staging.duplicates d
      WHERE d.duplicate_of = f.article_id AND d.reason <> 'version') AS n_copies,
    (SELECT count(*) FROM staging.event_mentions e WHERE e.article_id = f.article_id) AS n_events
FROM marts.article_versions v
JOIN staging.articles l ON l.article_id = v.article_id
JOIN staging.articles f ON f.article_id = v.story_id
WHERE v.is_latest;
