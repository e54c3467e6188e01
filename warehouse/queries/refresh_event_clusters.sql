-- Refill staging.event_clusters: which real-world event (event_id) each mention reports.
-- Mentions of the same event type, actor country, recipient country and place country whose dates
-- (the event's date, or else the article's publication date) lie within a day of the previous one
-- form one event. A mention that leaves the actor or the recipient unnamed ("a drone strike hit
-- Baghdad on Thursday") joins the event that names it when exactly one such event matches it within
-- a day. event_id is a hash of the fields and the event's first day, so it is the same on every
-- refresh; a mention with no date at all is an event of its own.
-- Run by tasks.warehouse.refresh_event_tables inside the writer's transaction, after
-- clear_event_tables.sql, once per event type (the parameter): every join below stays within one
-- type, so doing one type at a time gives the same rows in a fraction of the memory.
INSERT INTO staging.event_clusters (mention_id, event_key, day, event_id)
WITH base AS (
    SELECT e.mention_id, e.event_type, e.actor_country, e.recipient_country, e.place_country,
           coalesce(e.event_date, a.published_date) AS day
    FROM staging.event_mentions e
    JOIN staging.articles a ON a.article_id = e.article_id
    WHERE e.event_type = ?
),
-- the recipients named on each (type, actor, place, day): the candidates for a mention without one
named_recipients AS (
    SELECT DISTINCT event_type, actor_country, place_country, day, recipient_country
    FROM base WHERE recipient_country IS NOT NULL AND actor_country IS NOT NULL AND day IS NOT NULL
),
fill_recipient AS (
    SELECT b.event_type, b.actor_country, b.place_country, b.day, min(o.recipient_country) AS recipient_country
    FROM (SELECT DISTINCT event_type, actor_country, place_country, day FROM base
          WHERE recipient_country IS NULL AND actor_country IS NOT NULL AND day IS NOT NULL) b
    JOIN named_recipients o ON o.event_type = b.event_type AND o.actor_country = b.actor_country
               AND o.place_country IS NOT DISTINCT FROM b.place_country
               AND o.day BETWEEN b.day - 1 AND b.day + 1
    GROUP BY ALL
    HAVING count(DISTINCT o.recipient_country) = 1
),
named_actors AS (
    SELECT DISTINCT event_type, recipient_country, place_country, day, actor_country
    FROM base WHERE actor_country IS NOT NULL AND recipient_country IS NOT NULL AND day IS NOT NULL
),
fill_actor AS (
    SELECT b.event_type, b.recipient_country, b.place_country, b.day, min(o.actor_country) AS actor_country
    FROM (SELECT DISTINCT event_type, recipient_country, place_country, day FROM base
          WHERE actor_country IS NULL AND recipient_country IS NOT NULL AND day IS NOT NULL) b
    JOIN named_actors o ON o.event_type = b.event_type AND o.recipient_country = b.recipient_country
               AND o.place_country IS NOT DISTINCT FROM b.place_country
               AND o.day BETWEEN b.day - 1 AND b.day + 1
    GROUP BY ALL
    HAVING count(DISTINCT o.actor_country) = 1
),
m AS (
    SELECT b.mention_id, b.day,
           concat_ws('|', b.event_type, coalesce(b.actor_country, fa.actor_country, '-'),
                     coalesce(b.recipient_country, fr.recipient_country, '-'), coalesce(b.place_country, '-')) AS event_key
    FROM base b
    LEFT JOIN fill_recipient fr ON b.recipient_country IS NULL AND fr.event_type = b.event_type
         AND fr.actor_country = b.actor_country AND fr.place_country IS NOT DISTINCT FROM b.place_country AND fr.day = b.day
    LEFT JOIN fill_actor fa ON b.actor_country IS NULL AND fa.event_type = b.event_type
         AND fa.recipient_country = b.recipient_country AND fa.place_country IS NOT DISTINCT FROM b.place_country AND fa.day = b.day
),
-- islands of days: per key, the distinct days; consecutive days (d - row number constant) form one event
days AS (
    SELECT event_key, day, day - CAST(row_number() OVER (PARTITION BY event_key ORDER BY day) AS INTEGER) AS run
    FROM (SELECT DISTINCT event_key, day FROM m WHERE day IS NOT NULL)
),
islands AS (
    SELECT event_key, day, min(day) OVER (PARTITION BY event_key, run) AS first_day FROM days
)
SELECT m.mention_id, m.event_key, m.day,
       md5(m.event_key || '|' || coalesce(i.first_day::VARCHAR, 'undated:' || m.mention_id)) AS event_id
FROM m
LEFT JOIN islands i ON i.event_key = m.event_key AND i.day = m.day
;
