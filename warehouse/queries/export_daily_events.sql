-- Parquet export (tasks/export.py): marts.daily_events, partitioned by its day.
SELECT *, event_date AS day FROM marts.daily_events
