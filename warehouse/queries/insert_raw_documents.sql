INSERT INTO raw.documents
    (raw_id, source, locator, kind, url, title, published, content_hash, body, fetched_at, run_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;
