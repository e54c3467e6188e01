-- Events per day and type, with the dead and injured reported.
CREATE OR REPLACE VIEW marts.daily_events AS
SELECT
    event_date, event_type,
    count(*)                  AS n_events,
    count(DISTINCT article_id) AS n_articles,
    sum(dead)                 AS dead,
    sum(injured)              AS injured
FROM marts.events
GROUP BY event_date, event_type;
