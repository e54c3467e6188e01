-- Unique articles: every cleaned article that is not a duplicate of another,
-- with how many copies of it were seen and how many events it yielded.
CREATE OR REPLACE VIEW marts.articles AS
SELECT
    a.article_id, a.source, a.url, a.title, a.authors, a.published_at, a.published_date,
    a.modified_at, a.language, a.site_name, a.section, a.tags, a.image_url, a.word_count, a.text,
    (SELECT count(*) FROM staging.duplicates d WHERE d.duplicate_of = a.article_id) AS n_copies,
    (SELECT count(*) FROM marts.events e WHERE e.article_id = a.article_id) AS n_events
FROM staging.articles a
WHERE a.article_id NOT IN (SELECT article_id FROM staging.duplicates);
