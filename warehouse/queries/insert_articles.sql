INSERT INTO staging.articles
    (article_id, raw_id, source, url, canonical_url, url_key, title, authors, published_at,
     published_date, published_source, language, site_name, text, text_hash, word_count, run_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;
