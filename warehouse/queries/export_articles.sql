-- Parquet export (tasks/export.py): marts.articles, partitioned by the day the story first appeared.
SELECT *, published_date AS day FROM marts.articles
