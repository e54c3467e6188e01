-- Every cleaned article with the story it belongs to: the original it duplicates (or itself),
-- why it joined (original | url | version | exact | near), its similarity score, and its outlet
-- (the host of its canonical URL without "www.", or the source name for files).
-- The base of the story views in marts.
CREATE OR REPLACE VIEW staging.story_members AS
SELECT
    a.article_id,
    coalesce(d.duplicate_of, a.article_id)     AS story_id,
    coalesce(d.reason, 'original')             AS reason,
    d.score,
    a.source,
    coalesce(nullif(regexp_extract(lower(coalesce(a.url_key, a.url, '')), '^[a-z]+://(?:www\.)?([^/:?#]+)', 1), ''),
             a.source)                         AS outlet,
    a.url,
    a.title,
    a.published_at,
    a.published_date,
    r.fetched_at,
    a.word_count
FROM staging.articles a
LEFT JOIN staging.duplicates d ON d.article_id = a.article_id
LEFT JOIN raw.documents r ON r.raw_id = a.raw_id;
