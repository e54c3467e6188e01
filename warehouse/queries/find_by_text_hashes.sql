-- For each of the given normalized-text hashes, the stories (original articles) of the stored
-- articles with that hash, best first (an original before a duplicate, then the earliest).
SELECT a.text_hash, coalesce(d.duplicate_of, a.article_id) AS story_id
FROM staging.articles a
LEFT JOIN staging.duplicates d ON d.article_id = a.article_id
WHERE a.text_hash IN (SELECT unnest(?::VARCHAR[]))
ORDER BY a.text_hash, d.duplicate_of IS NOT NULL, a.published_at NULLS LAST, a.article_id;
