-- Events as tables (issue 7, analysts never blocked): with a million event mentions, computing
-- staging.event_clusters and marts.events at query time took 10-15 s, so every analyst query on
-- events was slow. They become tables with the same columns, refilled from the mentions by
-- tasks.warehouse.refresh_event_tables (warehouse/queries/refresh_event_clusters.sql and
-- refresh_events.sql) after the writes that change mentions, articles or duplicates: once per
-- nightly run after its last batch, once at the end of a reprocess, and inside load_batch when
-- it is called on its own. marts.event_mentions, marts.daily_events and marts.dyads stay views.
DROP VIEW IF EXISTS marts.events;
DROP VIEW IF EXISTS staging.event_clusters;

-- Which real-world event (event_id) each mention reports; see refresh_event_clusters.sql.
CREATE TABLE staging.event_clusters (
    mention_id VARCHAR NOT NULL,
    event_key  VARCHAR NOT NULL,   -- type|actor country|recipient country|place country ('-': none)
    day        DATE,               -- the mention's event date, or else its article's publication date
    event_id   VARCHAR NOT NULL
);

-- One row per real-world event; see refresh_events.sql for how each column is chosen.
CREATE TABLE marts.events (
    event_id          VARCHAR NOT NULL,
    event_type        VARCHAR,
    mode              VARCHAR,
    cameo_root        VARCHAR,
    quad_class        INTEGER,
    actor_name        VARCHAR,
    actor_country     VARCHAR,
    actor_sector      VARCHAR,
    recipient_name    VARCHAR,
    recipient_country VARCHAR,
    recipient_sector  VARCHAR,
    place_name        VARCHAR,
    place_country     VARCHAR,
    place_admin1      VARCHAR,
    place_lat         DOUBLE,
    place_lon         DOUBLE,
    place_precision   VARCHAR,
    event_date        DATE,
    last_date         DATE,
    dead              INTEGER,
    injured           INTEGER,
    arrested          INTEGER,
    reported_only     BOOLEAN,
    confidence        DOUBLE,
    num_mentions      BIGINT,
    num_articles      BIGINT,
    num_sources       BIGINT,
    example_sentence  VARCHAR
);
