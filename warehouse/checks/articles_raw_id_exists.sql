-- relationships: every article comes from a stored raw document
SELECT a.article_id FROM staging.articles a ANTI JOIN raw.documents r ON r.raw_id = a.raw_id;
