-- Stored articles that have no MinHash signature yet (stored before migration 008), a page at a time.
SELECT a.article_id, a.url, a.canonical_url, a.title, a.text, d.duplicate_of
FROM staging.articles a
ANTI JOIN staging.article_signatures s ON s.article_id = a.article_id
LEFT JOIN staging.duplicates d ON d.article_id = a.article_id
ORDER BY a.article_id
LIMIT ?;
