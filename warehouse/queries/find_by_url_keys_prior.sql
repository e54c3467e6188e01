-- Reprocessing dedup: find_by_url_keys ($1) among the articles of the given earlier runs ($2) only.
SELECT a.url_key, coalesce(d.duplicate_of, a.article_id) AS story_id
FROM staging.articles a
SEMI JOIN (SELECT raw_id FROM raw.documents WHERE run_id IN (SELECT unnest($2::VARCHAR[]))) p
    ON p.raw_id = a.raw_id
LEFT JOIN staging.duplicates d ON d.article_id = a.article_id
WHERE a.url_key IN (SELECT unnest($1::VARCHAR[]))
ORDER BY a.url_key, d.duplicate_of IS NOT NULL, a.published_at NULLS LAST, a.article_id;
