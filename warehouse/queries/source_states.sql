-- The stored state of the named sources (conditional GET validators, failures, back-off).
SELECT source, location, etag, last_modified, last_fetch_at, last_status, last_error,
       consecutive_failures, next_fetch_after
FROM ops.source_state
WHERE source IN (SELECT unnest(?::VARCHAR[]));
