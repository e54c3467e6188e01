-- relationships: a duplicate and its original are both stored articles, and differ
SELECT d.article_id FROM staging.duplicates d
WHERE d.duplicate_of NOT IN (SELECT article_id FROM staging.articles)
   OR d.article_id NOT IN (SELECT article_id FROM staging.articles)
   OR d.article_id = d.duplicate_of;
