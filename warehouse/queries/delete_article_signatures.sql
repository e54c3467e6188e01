-- Reprocessing: remove the MinHash signatures of the given articles.
DELETE FROM staging.article_signatures
WHERE article_id IN (SELECT unnest(?::VARCHAR[]));
