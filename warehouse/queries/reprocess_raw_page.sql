-- Reprocessing clean: a page of stored raw documents after the given raw_id, with all the source
-- knew about them, the run that stored them, and the text their article has now (NULL: none).
SELECT d.raw_id, d.source, d.locator, d.kind, d.body, d.fetched_at, d.url, d.title, d.published,
       d.authors, d.encoding, d.entry_key, d.entry_updated, d.version, d.published_is_fetch_time,
       d.run_id, a.text AS stored_text
FROM raw.documents d
LEFT JOIN staging.articles a ON a.article_id = d.raw_id
WHERE d.raw_id > ?
ORDER BY d.raw_id
LIMIT ?;
