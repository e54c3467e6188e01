-- MinHash signatures: one parameter per column, each a list of that column's values (row i is
-- element i of every list). Rows whose key is already stored are left as they are.
INSERT INTO staging.article_signatures (article_id, signature, shingle_count, run_id)
SELECT * FROM (SELECT
    unnest(?::VARCHAR[]) AS article_id,
    unnest(?::BLOB[]) AS signature,
    unnest(?::INTEGER[]) AS shingle_count,
    unnest(?::VARCHAR[]) AS run_id
)
ON CONFLICT DO NOTHING;
