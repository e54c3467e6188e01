-- Reprocessing: remove the given failures (a stage's failures of the documents it redoes).
DELETE FROM ops.failures
WHERE failure_id IN (SELECT unnest(?::VARCHAR[]));
