-- Reprocessing: remove the LSH band keys of the given articles.
DELETE FROM staging.lsh_bands
WHERE article_id IN (SELECT unnest(?::VARCHAR[]));
