-- relationships: event mentions come from stored, non-duplicate articles, and offsets lie in the text
SELECT e.mention_id FROM staging.event_mentions e
LEFT JOIN staging.articles a ON a.article_id = e.article_id
WHERE a.article_id IS NULL
   OR e.article_id IN (SELECT article_id FROM staging.duplicates)
   OR substr(a.text, e.sentence_start + 1, e.sentence_end - e.sentence_start) <> e.sentence;
