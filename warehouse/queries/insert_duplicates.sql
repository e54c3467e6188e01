-- Duplicate decisions: one parameter per column, each a list of that column's values (row i is
-- element i of every list). Rows whose key is already stored are left as they are.
INSERT INTO staging.duplicates (article_id, duplicate_of, reason, score, run_id)
SELECT * FROM (SELECT
    unnest(?::VARCHAR[]) AS article_id,
    unnest(?::VARCHAR[]) AS duplicate_of,
    unnest(?::VARCHAR[]) AS reason,
    unnest(?::DOUBLE[]) AS score,
    unnest(?::VARCHAR[]) AS run_id
)
ON CONFLICT DO NOTHING;
