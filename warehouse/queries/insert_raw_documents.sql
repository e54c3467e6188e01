-- Every document a source delivered: one parameter per column, each a list of that column's values (row i is
-- element i of every list). Rows whose key is already stored are left as they are (an ANTI JOIN on raw_id:
-- the table has no key index, migration 013).
INSERT INTO raw.documents (raw_id, source, locator, kind, url, title, published, authors, content_hash, body, fetched_at, run_id,
                           encoding, entry_key, entry_updated, version, published_is_fetch_time)
SELECT n.* FROM (SELECT
    unnest(?::VARCHAR[]) AS raw_id,
    unnest(?::VARCHAR[]) AS source,
    unnest(?::VARCHAR[]) AS locator,
    unnest(?::VARCHAR[]) AS kind,
    unnest(?::VARCHAR[]) AS url,
    unnest(?::VARCHAR[]) AS title,
    unnest(?::VARCHAR[]) AS published,
    unnest(?::VARCHAR[][]) AS authors,
    unnest(?::VARCHAR[]) AS content_hash,
    unnest(?::BLOB[]) AS body,
    unnest(?::TIMESTAMPTZ[]) AS fetched_at,
    unnest(?::VARCHAR[]) AS run_id,
    unnest(?::VARCHAR[]) AS encoding,
    unnest(?::VARCHAR[]) AS entry_key,
    unnest(?::VARCHAR[]) AS entry_updated,
    unnest(?::INTEGER[]) AS version,
    unnest(?::BOOLEAN[]) AS published_is_fetch_time
) n
ANTI JOIN raw.documents t ON t.raw_id = n.raw_id;
