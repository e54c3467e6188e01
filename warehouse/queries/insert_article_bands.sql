-- LSH band keys: one parameter per column, each a list of that column's values (row i is
-- element i of every list). Rows whose key is already stored are left as they are.
INSERT INTO staging.article_bands (band_key, article_id)
SELECT * FROM (SELECT
    unnest(?::VARCHAR[]) AS band_key,
    unnest(?::VARCHAR[]) AS article_id
)
ON CONFLICT DO NOTHING;
