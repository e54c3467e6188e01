-- The story (original article) that a stored article with this normalized URL belongs to:
-- the article itself, or the article it duplicates.
SELECT coalesce(d.duplicate_of, a.article_id)
FROM staging.articles a
LEFT JOIN staging.duplicates d ON d.article_id = a.article_id
WHERE a.url_key = ?
ORDER BY d.duplicate_of IS NOT NULL, a.published_at NULLS LAST, a.article_id
LIMIT 1;
