-- unique: every row's key is stored once. The tables that grow every night have no key index
-- (migration 013); the one writer keeps their keys unique, and this check verifies it.
SELECT 'raw.documents' AS table_name, raw_id AS key, count(*) AS n FROM raw.documents GROUP BY ALL HAVING n > 1
UNION ALL SELECT 'raw.feed_entries', entry_id, count(*) FROM raw.feed_entries GROUP BY ALL HAVING count(*) > 1
UNION ALL SELECT 'staging.articles', article_id, count(*) FROM staging.articles GROUP BY ALL HAVING count(*) > 1
UNION ALL SELECT 'staging.duplicates', article_id, count(*) FROM staging.duplicates GROUP BY ALL HAVING count(*) > 1
UNION ALL SELECT 'staging.article_signatures', article_id, count(*) FROM staging.article_signatures GROUP BY ALL HAVING count(*) > 1
UNION ALL SELECT 'staging.event_mentions', mention_id, count(*) FROM staging.event_mentions GROUP BY ALL HAVING count(*) > 1
UNION ALL SELECT 'ops.failures', failure_id, count(*) FROM ops.failures GROUP BY ALL HAVING count(*) > 1;
