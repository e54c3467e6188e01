-- Who did what to whom: event counts per actor country/sector, recipient country/sector and type.
CREATE OR REPLACE VIEW marts.dyads AS
SELECT
    actor_country, actor_sector, event_type, recipient_country, recipient_sector,
    count(*) AS n_events,
    min(event_date) AS first_date,
    max(event_date) AS last_date
FROM marts.events
GROUP BY ALL;
