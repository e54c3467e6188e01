-- The run's own row: one parameter per column, each a list of that column's values (row i is
-- element i of every list). Rows whose key is already stored are left as they are.
INSERT INTO ops.runs (run_id, started_at, finished_at, status, sources_read, documents_read, articles_new, articles_duplicate, articles_failed, events_extracted, seconds, stage_seconds, source_status)
SELECT * FROM (SELECT
    unnest(?::VARCHAR[]) AS run_id,
    unnest(?::TIMESTAMPTZ[]) AS started_at,
    unnest(?::TIMESTAMPTZ[]) AS finished_at,
    unnest(?::VARCHAR[]) AS status,
    unnest(?::INTEGER[]) AS sources_read,
    unnest(?::INTEGER[]) AS documents_read,
    unnest(?::INTEGER[]) AS articles_new,
    unnest(?::INTEGER[]) AS articles_duplicate,
    unnest(?::INTEGER[]) AS articles_failed,
    unnest(?::INTEGER[]) AS events_extracted,
    unnest(?::DOUBLE[]) AS seconds,
    unnest(?::JSON[]) AS stage_seconds,
    unnest(?::JSON[]) AS source_status
)
ON CONFLICT DO NOTHING;
