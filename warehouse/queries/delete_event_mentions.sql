-- Reprocessing: remove the event mentions of the given articles (their new ones follow).
DELETE FROM staging.event_mentions
WHERE article_id IN (SELECT unnest(?::VARCHAR[]));
