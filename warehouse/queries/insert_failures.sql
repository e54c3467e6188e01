-- Bad documents: one parameter per column, each a list of that column's values (row i is
-- element i of every list). Rows whose key is already stored are left as they are (an ANTI JOIN on failure_id:
-- the table has no key index, migration 013).
INSERT INTO ops.failures (failure_id, source, locator, stage, reason, detail, run_id)
SELECT n.* FROM (SELECT
    unnest(?::VARCHAR[]) AS failure_id,
    unnest(?::VARCHAR[]) AS source,
    unnest(?::VARCHAR[]) AS locator,
    unnest(?::VARCHAR[]) AS stage,
    unnest(?::VARCHAR[]) AS reason,
    unnest(?::VARCHAR[]) AS detail,
    unnest(?::VARCHAR[]) AS run_id
) n
ANTI JOIN ops.failures t ON t.failure_id = n.failure_id;
