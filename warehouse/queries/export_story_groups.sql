-- Parquet export (tasks/export.py): marts.story_groups, partitioned by the day (UTC) the story first
-- appeared.
SELECT *, CAST(timezone('UTC', first_published_at) AS DATE) AS day FROM marts.story_groups
