-- Who did what to whom: real-world events per actor country/sector, recipient country/sector and type.
CREATE OR REPLACE VIEW marts.dyads AS
SELECT
    actor_country, actor_sector, event_type, recipient_country, recipient_sector,
    count(*) AS n_events,
    sum(num_mentions) AS n_mentions,
    min(event_date) AS first_date,
    max(event_date) AS last_date
FROM marts.events
GROUP BY ALL;
