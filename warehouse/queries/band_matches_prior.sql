-- Reprocessing dedup: band_matches ($1) among the original articles of the given earlier runs ($2) only.
SELECT b.band_key, b.article_id
FROM staging.lsh_bands b
SEMI JOIN (SELECT DISTINCT unnest($1::BIGINT[]) AS band_key) q ON q.band_key = b.band_key
SEMI JOIN (SELECT raw_id FROM raw.documents WHERE run_id IN (SELECT unnest($2::VARCHAR[]))) p
    ON p.raw_id = b.article_id
ANTI JOIN staging.duplicates d ON d.article_id = b.article_id
ORDER BY b.band_key, b.article_id;
