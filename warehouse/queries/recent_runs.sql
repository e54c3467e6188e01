-- `newsflow runs`: the latest runs first (every column: older warehouses lack the newer ones).
SELECT *
FROM ops.runs
ORDER BY started_at DESC, run_id DESC
LIMIT ?;
