-- a duplicate points at an original, never at another duplicate
SELECT d.article_id FROM staging.duplicates d
WHERE d.duplicate_of IN (SELECT article_id FROM staging.duplicates);
