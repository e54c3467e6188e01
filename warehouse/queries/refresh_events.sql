-- One row per real-world event: its type, the parties, the place and the date (the first day
-- it was reported for; last_date when the reports span more days), the dead, injured and arrested
-- (the highest figure any mention gives), and how widely it was reported: num_mentions (sentences),
-- num_articles (distinct stories: duplicate articles never count twice) and num_sources
-- (distinct outlets that carried those stories, copies included). Mentions: marts.event_mentions.
-- Run by tasks.warehouse.refresh_event_tables inside the writer's transaction, after
-- refresh_event_clusters, once per part of the events (parameters: the number of parts, this part;
-- an event is in part hash(event_id) % parts): the ordered aggregates below hold every mention of
-- the events they group, so a part at a time keeps memory flat however many mentions are stored.
-- Ties of mode() go to the first value in sort order, so every refresh (and every run, however its
-- batches were spread over workers or the events over parts) gives the same row.
INSERT INTO marts.events
WITH m AS (
    SELECT c.event_id, c.day, e.*
    FROM staging.event_mentions e
    JOIN staging.event_clusters c ON c.mention_id = e.mention_id
    WHERE hash(c.event_id) % ?::UBIGINT = ?::UBIGINT
),
outlets AS (
    SELECT x.event_id, count(DISTINCT s.outlet) AS num_sources
    FROM (SELECT DISTINCT event_id, article_id FROM m) x
    JOIN staging.story_members s ON s.story_id = x.article_id
    GROUP BY x.event_id
)
SELECT
    m.event_id,
    any_value(m.event_type)                                   AS event_type,
    mode(m.mode ORDER BY m.mode)                              AS mode,
    mode(m.cameo_root ORDER BY m.cameo_root)                  AS cameo_root,
    any_value(m.quad_class)                                   AS quad_class,
    mode(m.actor_name ORDER BY m.actor_name)                  AS actor_name,
    max(m.actor_country)                                      AS actor_country,
    mode(m.actor_sector ORDER BY m.actor_sector)              AS actor_sector,
    mode(m.recipient_name ORDER BY m.recipient_name)          AS recipient_name,
    max(m.recipient_country)                                  AS recipient_country,
    mode(m.recipient_sector ORDER BY m.recipient_sector)      AS recipient_sector,
    mode(m.place_name ORDER BY m.place_name)                  AS place_name,
    any_value(m.place_country)                                AS place_country,
    mode(m.place_admin1 ORDER BY m.place_admin1)              AS place_admin1,
    first(m.place_lat ORDER BY m.place_precision = 'city' DESC, m.mention_id) AS place_lat,
    first(m.place_lon ORDER BY m.place_precision = 'city' DESC, m.mention_id) AS place_lon,
    mode(m.place_precision ORDER BY m.place_precision)        AS place_precision,
    min(m.day)                                                AS event_date,
    max(m.day)                                                AS last_date,
    max(m.dead)                                               AS dead,
    max(m.injured)                                            AS injured,
    max(m.arrested)                                           AS arrested,
    bool_and(m.reported_only)                                 AS reported_only,
    max(m.confidence)                                         AS confidence,
    count(*)                                                  AS num_mentions,
    count(DISTINCT m.article_id)                              AS num_articles,
    coalesce(any_value(o.num_sources), 1)                     AS num_sources,
    first(m.sentence ORDER BY m.confidence DESC, m.mention_id) AS example_sentence
FROM m
LEFT JOIN outlets o ON o.event_id = m.event_id
GROUP BY m.event_id;
