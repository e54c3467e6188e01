INSERT INTO ops.runs
    (run_id, started_at, finished_at, status, sources_read, documents_read, articles_new,
     articles_duplicate, articles_failed, events_extracted, seconds, stage_seconds)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;
