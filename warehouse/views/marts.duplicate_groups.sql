-- Each story that was seen more than once: its canonical article and every copy, with why.
CREATE OR REPLACE VIEW marts.duplicate_groups AS
SELECT
    d.duplicate_of       AS canonical_id,
    c.title              AS canonical_title,
    c.source             AS canonical_source,
    d.article_id         AS member_id,
    m.source             AS member_source,
    m.url                AS member_url,
    d.reason,
    d.score
FROM staging.duplicates d
JOIN staging.articles c ON c.article_id = d.duplicate_of
JOIN staging.articles m ON m.article_id = d.article_id;
