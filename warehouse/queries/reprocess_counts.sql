-- Reprocessing: how much work each stage has (for its progress bar).
SELECT (SELECT count(*) FROM raw.documents) AS documents,
       (SELECT count(*) FROM staging.articles) AS articles,
       (SELECT count(*) FROM staging.articles a ANTI JOIN staging.duplicates d ON d.article_id = a.article_id)
           AS unique_articles;
