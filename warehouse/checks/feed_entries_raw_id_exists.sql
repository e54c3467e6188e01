-- Relationship: every feed entry points at a stored raw document.
SELECT f.entry_id, f.raw_id
FROM raw.feed_entries f
LEFT JOIN raw.documents r ON r.raw_id = f.raw_id
WHERE r.raw_id IS NULL;
