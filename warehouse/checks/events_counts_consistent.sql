-- relationships: every mention belongs to exactly one event, and each event's counts add up
SELECT m.mention_id FROM marts.event_mentions m
LEFT JOIN marts.events e ON e.event_id = m.event_id
WHERE e.event_id IS NULL
UNION ALL
SELECT e.event_id FROM marts.events e
WHERE e.num_mentions <> (SELECT count(*) FROM marts.event_mentions m WHERE m.event_id = e.event_id)
   OR e.num_articles > e.num_mentions OR e.num_sources < 1;
