-- Which real-world event each mention reports. Mentions of the same event type, actor country,
-- recipient country and place country whose dates (the event's date, or else the article's
-- publication date) lie within a day of the previous one form one event. event_id is a hash of
-- those fields and the event's first day, so it is the same on every query.
CREATE OR REPLACE VIEW staging.event_clusters AS
WITH m AS (
    SELECT e.mention_id,
           concat_ws('|', e.event_type, coalesce(e.actor_country, '-'), coalesce(e.recipient_country, '-'),
                     coalesce(e.place_country, '-')) AS event_key,
           coalesce(e.event_date, a.published_date) AS day
    FROM staging.event_mentions e
    JOIN staging.articles a ON a.article_id = e.article_id
),
ordered AS (
    SELECT m.*, lag(day) OVER (PARTITION BY event_key ORDER BY day NULLS LAST, mention_id) AS prev_day
    FROM m
),
islands AS (
    SELECT ordered.*,
           sum(CASE WHEN day IS NULL OR prev_day IS NULL OR day - prev_day > 1 THEN 1 ELSE 0 END)
               OVER (PARTITION BY event_key ORDER BY day NULLS LAST, mention_id ROWS UNBOUNDED PRECEDING) AS island
    FROM ordered
)
SELECT mention_id, event_key, day,
       md5(event_key || '|' || coalesce(min(day) OVER (PARTITION BY event_key, island)::VARCHAR,
                                        'undated:' || mention_id)) AS event_id
FROM islands;
