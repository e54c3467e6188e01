-- Duplicate decisions: one parameter per column, each a list of that column's values (row i is
-- element i of every list). Rows whose key is already stored are left as they are (an ANTI JOIN on article_id:
-- the table has no key index, migration 013).
INSERT INTO staging.duplicates (article_id, duplicate_of, reason, score, run_id)
SELECT n.* FROM (SELECT
    unnest(?::VARCHAR[]) AS article_id,
    unnest(?::VARCHAR[]) AS duplicate_of,
    unnest(?::VARCHAR[]) AS reason,
    unnest(?::DOUBLE[]) AS score,
    unnest(?::VARCHAR[]) AS run_id
) n
ANTI JOIN staging.duplicates t ON t.article_id = n.article_id;
