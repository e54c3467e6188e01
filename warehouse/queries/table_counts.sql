-- What landed: rows per table of the warehouse.
SELECT 'raw.documents' AS "table", count(*) AS "rows" FROM raw.documents
UNION ALL SELECT 'staging.articles', count(*) FROM staging.articles
UNION ALL SELECT 'staging.duplicates', count(*) FROM staging.duplicates
UNION ALL SELECT 'marts.articles (unique)', count(*) FROM marts.articles
UNION ALL SELECT 'marts.event_mentions', count(*) FROM staging.event_mentions
UNION ALL SELECT 'marts.events (real-world)', count(*) FROM marts.events
UNION ALL SELECT 'ops.failures', count(*) FROM ops.failures
UNION ALL SELECT 'ops.runs', count(*) FROM ops.runs;
