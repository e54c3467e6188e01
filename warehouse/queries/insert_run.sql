-- The run's own row: one parameter per column, each a list of that column's values (row i is
-- element i of every list). A run that loads several batches writes its row with each batch,
-- its counts so far: the last batch's row wins.
INSERT INTO ops.runs (run_id, started_at, finished_at, status, sources_read, documents_read, articles_new, articles_duplicate, articles_failed, events_extracted, seconds, stage_seconds, source_status, sources)
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
    unnest(?::JSON[]) AS source_status,
    unnest(?::JSON[]) AS sources
)
ON CONFLICT (run_id) DO UPDATE SET
    finished_at = excluded.finished_at, status = excluded.status, sources_read = excluded.sources_read,
    documents_read = excluded.documents_read, articles_new = excluded.articles_new,
    articles_duplicate = excluded.articles_duplicate, articles_failed = excluded.articles_failed,
    events_extracted = excluded.events_extracted, seconds = excluded.seconds,
    stage_seconds = excluded.stage_seconds, source_status = excluded.source_status, sources = excluded.sources;
