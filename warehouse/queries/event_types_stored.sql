-- The event types that have mentions: refresh_event_clusters.sql runs once for each.
SELECT DISTINCT event_type FROM staging.event_mentions ORDER BY event_type;
