-- How many event mentions the given articles have.
SELECT count(*) FROM staging.event_mentions WHERE article_id IN (SELECT unnest(?::VARCHAR[]));
