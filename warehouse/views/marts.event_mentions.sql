-- One row per sentence that reports an event: the article, the sentence and its offsets, the
-- coding, the confidence, the extractor's and dictionaries' versions, and the event it reports
-- (event_id, joins marts.events).
CREATE OR REPLACE VIEW marts.event_mentions AS
SELECT c.event_id, e.*
FROM staging.event_mentions e
JOIN staging.event_clusters c ON c.mention_id = e.mention_id;
