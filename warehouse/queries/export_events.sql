-- Parquet export (tasks/export.py): marts.events, partitioned by the event's first day.
SELECT *, event_date AS day FROM marts.events
