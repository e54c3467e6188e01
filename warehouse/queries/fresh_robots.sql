-- robots.txt files fetched in the last day: reused instead of asking again (RFC 9309: cache up to 24 h).
SELECT origin, status, body, fetched_at
FROM raw.robots
WHERE fetched_at > now() - INTERVAL 1 DAY;
