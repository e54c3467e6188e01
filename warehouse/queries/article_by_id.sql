-- One stored article's identity and text (for `newsflow dedup --explain`).
SELECT article_id, raw_id, source, url, canonical_url, title, text
FROM staging.articles
WHERE article_id = ?;
