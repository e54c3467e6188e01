-- robots.txt files fetched tonight: one parameter per column, each a list of that column's values.
INSERT INTO raw.robots (origin, status, body, fetched_at)
SELECT * FROM (SELECT
    unnest(?::VARCHAR[]) AS origin,
    unnest(?::INTEGER[]) AS status,
    unnest(?::VARCHAR[]) AS body,
    unnest(?::TIMESTAMPTZ[]) AS fetched_at
)
ON CONFLICT (origin) DO UPDATE SET status = excluded.status, body = excluded.body, fetched_at = excluded.fetched_at;
