-- Reprocessing dedup: the runs that stored articles, in the order they were loaded (the run's
-- start; a run with no ops.runs row by its documents' fetch time), with their article counts.
SELECT d.run_id, min(coalesce(r.started_at, d.fetched_at)) AS started_at, count(*) AS articles
FROM staging.articles a
JOIN raw.documents d ON d.raw_id = a.raw_id
LEFT JOIN ops.runs r ON r.run_id = d.run_id
GROUP BY d.run_id
ORDER BY started_at, d.run_id;
