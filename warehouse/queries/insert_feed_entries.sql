-- Feed entries (and listed URLs) fetched tonight, one row per version: one parameter per column,
-- each a list of that column's values. Rows whose key is already stored are left as they are (an ANTI JOIN on entry_id:
-- the table has no key index, migration 013).
INSERT INTO raw.feed_entries (entry_id, source, entry_key, link_key, updated, version, raw_id, first_seen_at, run_id)
SELECT n.* FROM (SELECT
    unnest(?::VARCHAR[]) AS entry_id,
    unnest(?::VARCHAR[]) AS source,
    unnest(?::VARCHAR[]) AS entry_key,
    unnest(?::VARCHAR[]) AS link_key,
    unnest(?::VARCHAR[]) AS updated,
    unnest(?::INTEGER[]) AS version,
    unnest(?::VARCHAR[]) AS raw_id,
    unnest(?::TIMESTAMPTZ[]) AS first_seen_at,
    unnest(?::VARCHAR[]) AS run_id
) n
ANTI JOIN raw.feed_entries t ON t.entry_id = n.entry_id;
