-- Tonight's state of each source read: one parameter per column, each a list of that column's
-- values. A source's row is replaced by its newer state.
INSERT INTO ops.source_state (source, location, etag, last_modified, last_fetch_at, last_status, last_error,
                              consecutive_failures, next_fetch_after, run_id)
SELECT * FROM (SELECT
    unnest(?::VARCHAR[]) AS source,
    unnest(?::VARCHAR[]) AS location,
    unnest(?::VARCHAR[]) AS etag,
    unnest(?::VARCHAR[]) AS last_modified,
    unnest(?::TIMESTAMPTZ[]) AS last_fetch_at,
    unnest(?::VARCHAR[]) AS last_status,
    unnest(?::VARCHAR[]) AS last_error,
    unnest(?::INTEGER[]) AS consecutive_failures,
    unnest(?::TIMESTAMPTZ[]) AS next_fetch_after,
    unnest(?::VARCHAR[]) AS run_id
)
ON CONFLICT (source) DO UPDATE SET
    location = excluded.location, etag = excluded.etag, last_modified = excluded.last_modified,
    last_fetch_at = excluded.last_fetch_at, last_status = excluded.last_status,
    last_error = excluded.last_error, consecutive_failures = excluded.consecutive_failures,
    next_fetch_after = excluded.next_fetch_after, run_id = excluded.run_id;
