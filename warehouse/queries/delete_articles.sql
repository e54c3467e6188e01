-- Reprocessing: remove the articles of the given raw documents (their new versions follow).
DELETE FROM staging.articles
WHERE article_id IN (SELECT unnest(?::VARCHAR[]));
