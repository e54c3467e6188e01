-- Reprocessing dedup: the articles one run stored, in the order dedup sees them: the ones the
-- stored decisions call originals first (the night saw an original before its copies), then by
-- source and locator; with the current decision of each.
SELECT a.article_id, a.raw_id, a.source, a.url, a.canonical_url, a.title, a.text, a.run_id,
       dup.duplicate_of, dup.reason
FROM staging.articles a
JOIN raw.documents d ON d.raw_id = a.raw_id
LEFT JOIN staging.duplicates dup ON dup.article_id = a.article_id
WHERE d.run_id = ?
ORDER BY dup.duplicate_of IS NOT NULL, d.source, d.locator, a.article_id;
