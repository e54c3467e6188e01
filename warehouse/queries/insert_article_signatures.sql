-- MinHash signatures: one parameter per column, each a list of that column's values (row i is
-- element i of every list). Rows whose key is already stored are left as they are (an ANTI JOIN on article_id:
-- the table has no key index, migration 013).
INSERT INTO staging.article_signatures (article_id, signature, shingle_count, run_id)
SELECT n.* FROM (SELECT
    unnest(?::VARCHAR[]) AS article_id,
    unnest(?::BLOB[]) AS signature,
    unnest(?::INTEGER[]) AS shingle_count,
    unnest(?::VARCHAR[]) AS run_id
) n
ANTI JOIN staging.article_signatures t ON t.article_id = n.article_id;
