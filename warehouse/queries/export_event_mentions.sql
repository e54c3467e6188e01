-- Parquet export (tasks/export.py): marts.event_mentions, partitioned by the first day of the event
-- each mention reports (so a mention sits in the same partition as its event in events/).
SELECT m.*, e.event_date AS day FROM marts.event_mentions m JOIN marts.events e ON e.event_id = m.event_id
