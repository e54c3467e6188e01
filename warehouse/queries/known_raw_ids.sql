-- Which of the given raw ids are already stored.
SELECT raw_id FROM raw.documents WHERE raw_id IN (SELECT unnest(?::VARCHAR[]));
