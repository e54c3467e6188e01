-- Reprocessing dedup: each article's normalized URL and text hash, one parameter per column
-- (row i is element i of every list); rows already holding those values are left alone.
UPDATE staging.articles a
SET url_key = n.url_key, text_hash = n.text_hash
FROM (SELECT
    unnest(?::VARCHAR[]) AS article_id,
    unnest(?::VARCHAR[]) AS url_key,
    unnest(?::VARCHAR[]) AS text_hash
) n
WHERE a.article_id = n.article_id
  AND (a.url_key IS DISTINCT FROM n.url_key OR a.text_hash IS DISTINCT FROM n.text_hash);
