-- For each of the given normalized URLs, the stories (original articles) of the stored articles
-- with that URL, best first (an original before a duplicate, then the earliest): one query per night.
SELECT a.url_key, coalesce(d.duplicate_of, a.article_id) AS story_id
FROM staging.articles a
LEFT JOIN staging.duplicates d ON d.article_id = a.article_id
WHERE a.url_key IN (SELECT unnest(?::VARCHAR[]))
ORDER BY a.url_key, d.duplicate_of IS NOT NULL, a.published_at NULLS LAST, a.article_id;
