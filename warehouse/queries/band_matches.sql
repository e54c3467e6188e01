-- Stored original (non-duplicate) articles that share an LSH band key with tonight's articles:
-- one query for the whole night, a hash join of tonight's keys against staging.lsh_bands.
SELECT b.band_key, b.article_id
FROM staging.lsh_bands b
SEMI JOIN (SELECT DISTINCT unnest(?::BIGINT[]) AS band_key) q ON q.band_key = b.band_key
ANTI JOIN staging.duplicates d ON d.article_id = b.article_id
ORDER BY b.band_key, b.article_id;
