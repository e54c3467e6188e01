-- Events across articles (issue 6). What marts.events stored until now is one row per sentence
-- that reports an event: it becomes staging.event_mentions (keyed by mention_id), with the CAMEO
-- root, the PLOVER quad class and the dictionaries' version. marts.events becomes a view with
-- one row per real-world event (warehouse/views/marts.events.sql), and marts.event_mentions a
-- view of the mentions with the event each belongs to.
CREATE TABLE staging.event_mentions (
    mention_id         VARCHAR PRIMARY KEY,
    article_id         VARCHAR NOT NULL,
    sentence_idx       INTEGER NOT NULL,
    sentence           VARCHAR NOT NULL,
    sentence_start     INTEGER NOT NULL,
    sentence_end       INTEGER NOT NULL,
    event_type         VARCHAR NOT NULL,
    mode               VARCHAR,
    trigger            VARCHAR NOT NULL,
    actor_text         VARCHAR,
    actor_name         VARCHAR,
    actor_country      VARCHAR,
    actor_sector       VARCHAR,
    recipient_text     VARCHAR,
    recipient_name     VARCHAR,
    recipient_country  VARCHAR,
    recipient_sector   VARCHAR,
    event_date         DATE,
    date_precision     VARCHAR,
    place_name         VARCHAR,
    place_country      VARCHAR,
    dead               INTEGER,
    injured            INTEGER,
    reported_only      BOOLEAN NOT NULL,
    confidence         DOUBLE NOT NULL,
    extractor_version  VARCHAR NOT NULL,
    run_id             VARCHAR NOT NULL,
    cameo_root         VARCHAR,              -- CAMEO root code ("19"), to join with GDELT
    quad_class         INTEGER,              -- 1 verbal coop., 2 material coop., 3 verbal conflict, 4 material conflict
    dictionary_version VARCHAR               -- hash of the actor/trigger dictionaries used
);

INSERT INTO staging.event_mentions
SELECT event_id, article_id, sentence_idx, sentence, sentence_start, sentence_end, event_type, mode, trigger,
       actor_text, actor_name, actor_country, actor_sector, recipient_text, recipient_name, recipient_country,
       recipient_sector, event_date, date_precision, place_name, place_country, dead, injured, reported_only,
       confidence, extractor_version, run_id, NULL, NULL, NULL
FROM marts.events;

DROP TABLE marts.events;
