-- Every cleaned article with the story it belongs to: the original it duplicates (or itself),
-- why it joined (original | url | version | exact | near), its similarity score, and its outlet
-- (staging.story_outlet: the host of its canonical URL without "www.", or the source name for files).
-- The base of the story views in marts. The marts views that need neither fetched_at nor every
-- article read staging.articles and staging.duplicates directly, with the same definitions, so
-- that they skip the join to raw.documents and compute outlets only for the stories they show.
CREATE OR REPLACE VIEW staging.story_members AS
SELECT
    a.article_id,
    coalesce(d.duplicate_of, a.article_id)     AS story_id,
    coalesce(d.reason, 'original')             AS reason,
    d.score,
    a.source,
    staging.story_outlet(a.url_key, a.url, a.source) AS outlet,
    a.url,
    a.title,
    a.published_at,
    a.published_date,
    r.fetched_at,
    a.word_count
FROM staging.articles a
LEFT JOIN staging.duplicates d ON d.article_id = a.article_id
LEFT JOIN raw.documents r ON r.raw_id = a.raw_id;
