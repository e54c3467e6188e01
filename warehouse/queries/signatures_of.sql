-- MinHash signatures and shingle counts of the given articles.
SELECT s.article_id, s.signature, s.shingle_count
FROM staging.article_signatures s
SEMI JOIN (SELECT unnest(?::VARCHAR[]) AS article_id) q ON q.article_id = s.article_id;
