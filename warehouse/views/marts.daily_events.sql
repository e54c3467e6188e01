-- Real-world events per day and type, with how many articles reported them and the dead and
-- injured (each event counted once, with the highest figure reported for it).
CREATE OR REPLACE VIEW marts.daily_events AS
SELECT
    event_date, event_type,
    count(*)          AS n_events,
    sum(num_articles) AS n_articles,
    sum(num_mentions) AS n_mentions,
    sum(dead)         AS dead,
    sum(injured)      AS injured,
    sum(arrested)     AS arrested
FROM marts.events
GROUP BY event_date, event_type;
