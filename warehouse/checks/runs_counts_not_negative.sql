-- not null / range: run counts
SELECT run_id FROM ops.runs
WHERE least(sources_read, documents_read, articles_new, articles_duplicate, articles_failed,
            events_extracted) < 0 OR seconds < 0;
