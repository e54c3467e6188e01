-- Which real-world event each mention reports. Mentions of the same event type, actor country,
-- recipient country and place country whose dates (the event's date, or else the article's
-- publication date) lie within a day of the previous one form one event. A mention that leaves
-- the actor or the recipient unnamed ("a drone strike hit Baghdad on Thursday") joins the event
-- that names it when exactly one such event matches it within a day. event_id is a hash of the
-- fields and the event's first day, so it is the same on every query.
CREATE OR REPLACE VIEW staging.event_clusters AS
WITH base AS (
    SELECT e.mention_id, e.event_type, e.actor_country, e.recipient_country, e.place_country,
           coalesce(e.event_date, a.published_date) AS day
    FROM staging.event_mentions e
    JOIN staging.articles a ON a.article_id = e.article_id
),
fill_recipient AS (
    SELECT b.mention_id, min(o.recipient_country) AS recipient_country
    FROM base b
    JOIN base o ON o.event_type = b.event_type AND o.actor_country = b.actor_country
               AND o.place_country IS NOT DISTINCT FROM b.place_country
               AND o.day BETWEEN b.day - 1 AND b.day + 1
    WHERE b.recipient_country IS NULL AND o.recipient_country IS NOT NULL
    GROUP BY b.mention_id
    HAVING count(DISTINCT o.recipient_country) = 1
),
fill_actor AS (
    SELECT b.mention_id, min(o.actor_country) AS actor_country
    FROM base b
    JOIN base o ON o.event_type = b.event_type AND o.recipient_country = b.recipient_country
               AND o.place_country IS NOT DISTINCT FROM b.place_country
               AND o.day BETWEEN b.day - 1 AND b.day + 1
    WHERE b.actor_country IS NULL AND o.actor_country IS NOT NULL
    GROUP BY b.mention_id
    HAVING count(DISTINCT o.actor_country) = 1
),
m AS (
    SELECT b.mention_id, b.day,
           concat_ws('|', b.event_type, coalesce(b.actor_country, fa.actor_country, '-'),
                     coalesce(b.recipient_country, fr.recipient_country, '-'), coalesce(b.place_country, '-')) AS event_key
    FROM base b
    LEFT JOIN fill_recipient fr ON fr.mention_id = b.mention_id
    LEFT JOIN fill_actor fa ON fa.mention_id = b.mention_id
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
