INSERT INTO staging.duplicates (article_id, duplicate_of, reason, score, run_id)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;
