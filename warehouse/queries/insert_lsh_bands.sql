-- LSH band keys: one parameter per column, each a list of that column's values (row i is
-- element i of every list). Keys of an article whose signature is already stored are skipped
-- (the table has no key index), so this runs before insert_article_signatures.
INSERT INTO staging.lsh_bands (band_key, article_id)
SELECT n.band_key, n.article_id FROM (SELECT
    unnest(?::BIGINT[]) AS band_key,
    unnest(?::VARCHAR[]) AS article_id
) n
ANTI JOIN staging.article_signatures s ON s.article_id = n.article_id;
