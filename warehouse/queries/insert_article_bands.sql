INSERT INTO staging.article_bands (band_key, article_id)
VALUES (?, ?)
ON CONFLICT DO NOTHING;
