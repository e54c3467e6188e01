-- Stored original articles sharing at least one LSH band key with the given keys.
SELECT a.article_id, a.text
FROM staging.articles a
ANTI JOIN staging.duplicates d ON d.article_id = a.article_id
WHERE a.article_id IN (
    SELECT article_id FROM staging.article_bands WHERE band_key IN (SELECT unnest(?::VARCHAR[]))
)
ORDER BY a.article_id;
