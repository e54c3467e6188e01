-- The text of the given articles.
SELECT a.article_id, a.text
FROM staging.articles a
SEMI JOIN (SELECT unnest(?::VARCHAR[]) AS article_id) q ON q.article_id = a.article_id;
