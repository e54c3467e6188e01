-- For each asked entry (entry_key[i], link_key[i]) of a source: the latest stored version, found
-- by the source's own entry key, or by the canonical link from any source.
WITH asked AS (
    SELECT unnest(?::VARCHAR[]) AS entry_key, unnest(?::VARCHAR[]) AS link_key
),
source AS (SELECT ?::VARCHAR AS name),
hits AS (
    SELECT a.entry_key, f.version, f.updated
    FROM asked a JOIN raw.feed_entries f ON f.entry_key = a.entry_key
    WHERE f.source = (SELECT name FROM source)
    UNION ALL
    SELECT a.entry_key, f.version, f.updated
    FROM asked a JOIN raw.feed_entries f ON f.link_key = a.link_key
)
SELECT entry_key, max(version) AS version, max(updated) AS updated
FROM hits
GROUP BY entry_key;
