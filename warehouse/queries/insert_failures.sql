-- Bad documents: one parameter per column, each a list of that column's values (row i is
-- element i of every list). Rows whose key is already stored are left as they are.
INSERT INTO ops.failures (failure_id, source, locator, stage, reason, detail, run_id)
SELECT * FROM (SELECT
    unnest(?::VARCHAR[]) AS failure_id,
    unnest(?::VARCHAR[]) AS source,
    unnest(?::VARCHAR[]) AS locator,
    unnest(?::VARCHAR[]) AS stage,
    unnest(?::VARCHAR[]) AS reason,
    unnest(?::VARCHAR[]) AS detail,
    unnest(?::VARCHAR[]) AS run_id
)
ON CONFLICT DO NOTHING;
