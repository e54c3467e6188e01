-- Reprocessing: remove the duplicate decisions of the given articles.
DELETE FROM staging.duplicates
WHERE article_id IN (SELECT unnest(?::VARCHAR[]));
