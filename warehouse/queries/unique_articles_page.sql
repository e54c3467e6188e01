-- A page of stored unique (non-duplicate) articles after the given article_id, for reprocessing:
-- the text and the publication date (as the article wrote it) that events are resolved against,
-- and the run that stored it (written on its mentions).
SELECT a.article_id, a.text, a.published_date::VARCHAR AS published, a.run_id
FROM staging.articles a
ANTI JOIN staging.duplicates d ON d.article_id = a.article_id
WHERE a.article_id > ?
ORDER BY a.article_id
LIMIT ?;
