-- How many event mentions are stored: refresh_event_tables refills marts.events in parts of a
-- bounded number of mentions.
SELECT count(*) FROM staging.event_mentions;
