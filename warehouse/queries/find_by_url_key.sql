-- The stored original (non-duplicate) article with this normalized URL.
SELECT a.article_id
FROM staging.articles a
ANTI JOIN staging.duplicates d ON d.article_id = a.article_id
WHERE a.url_key = ?
ORDER BY a.published_at NULLS LAST, a.article_id
LIMIT 1;
