-- Flat memory at scale (issue 7). DuckDB keeps a table's whole ART index (a PRIMARY KEY or an
-- index) in memory while a transaction inserts into it, and again at the checkpoint after COMMIT:
-- with a million stored articles the writer held 219 MB of index for one batch of 2,000, and the
-- nightly flow's peak memory grew with everything ever stored (925 MB at 100,000 articles).
--
-- The tables that grow with every night are recreated without key indexes (same columns, same
-- NOT NULLs and defaults). Keys stay unique because the one writer inserts a row only when its
-- key is not stored yet (an ANTI JOIN on the key, warehouse/queries/insert_*.sql) and de-duplicates
-- each batch before that (tasks.load.unique_by); the data test checks/keys_unique.sql verifies it.
-- The small ops tables upserted by key (runs, source_state, robots) keep their primary keys.
-- The dedup lookups by url_key and text_hash become scans of one column, once per batch.
DROP INDEX IF EXISTS staging.articles_url_key;
DROP INDEX IF EXISTS staging.articles_text_hash;

CREATE TABLE raw.documents__013 (
    raw_id VARCHAR NOT NULL,
    "source" VARCHAR NOT NULL,
    locator VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    url VARCHAR,
    title VARCHAR,
    published VARCHAR,
    authors VARCHAR[] NOT NULL,
    content_hash VARCHAR NOT NULL,
    body BLOB NOT NULL,
    fetched_at TIMESTAMP WITH TIME ZONE NOT NULL,
    run_id VARCHAR NOT NULL,
    "encoding" VARCHAR,
    entry_key VARCHAR,
    entry_updated VARCHAR,
    "version" INTEGER DEFAULT(1),
    published_is_fetch_time BOOLEAN DEFAULT(false)
);
INSERT INTO raw.documents__013 SELECT * FROM raw.documents;
DROP TABLE raw.documents;
ALTER TABLE raw.documents__013 RENAME TO documents;

CREATE TABLE raw.feed_entries__013 (
    entry_id VARCHAR NOT NULL,
    "source" VARCHAR NOT NULL,
    entry_key VARCHAR NOT NULL,
    link_key VARCHAR,
    updated VARCHAR,
    "version" INTEGER NOT NULL,
    raw_id VARCHAR NOT NULL,
    first_seen_at TIMESTAMP WITH TIME ZONE NOT NULL,
    run_id VARCHAR NOT NULL
);
INSERT INTO raw.feed_entries__013 SELECT * FROM raw.feed_entries;
DROP TABLE raw.feed_entries;
ALTER TABLE raw.feed_entries__013 RENAME TO feed_entries;

CREATE TABLE staging.articles__013 (
    article_id VARCHAR NOT NULL,
    raw_id VARCHAR NOT NULL,
    "source" VARCHAR NOT NULL,
    url VARCHAR,
    canonical_url VARCHAR,
    url_key VARCHAR,
    title VARCHAR,
    authors VARCHAR[] NOT NULL,
    published_at TIMESTAMP WITH TIME ZONE,
    published_date DATE,
    published_source VARCHAR,
    "language" VARCHAR,
    site_name VARCHAR,
    "text" VARCHAR NOT NULL,
    text_hash VARCHAR NOT NULL,
    word_count INTEGER NOT NULL,
    run_id VARCHAR NOT NULL,
    modified_at TIMESTAMP WITH TIME ZONE,
    section VARCHAR,
    tags VARCHAR[],
    image_url VARCHAR,
    field_sources JSON
);
INSERT INTO staging.articles__013 SELECT * FROM staging.articles;
DROP TABLE staging.articles;
ALTER TABLE staging.articles__013 RENAME TO articles;

CREATE TABLE staging.duplicates__013 (
    article_id VARCHAR NOT NULL,
    duplicate_of VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    score DOUBLE,
    run_id VARCHAR NOT NULL
);
INSERT INTO staging.duplicates__013 SELECT * FROM staging.duplicates;
DROP TABLE staging.duplicates;
ALTER TABLE staging.duplicates__013 RENAME TO duplicates;

CREATE TABLE staging.article_signatures__013 (
    article_id VARCHAR NOT NULL,
    signature BLOB NOT NULL,
    shingle_count INTEGER NOT NULL,
    run_id VARCHAR NOT NULL
);
INSERT INTO staging.article_signatures__013 SELECT * FROM staging.article_signatures;
DROP TABLE staging.article_signatures;
ALTER TABLE staging.article_signatures__013 RENAME TO article_signatures;

CREATE TABLE staging.event_mentions__013 (
    mention_id VARCHAR NOT NULL,
    article_id VARCHAR NOT NULL,
    sentence_idx INTEGER NOT NULL,
    sentence VARCHAR NOT NULL,
    sentence_start INTEGER NOT NULL,
    sentence_end INTEGER NOT NULL,
    event_type VARCHAR NOT NULL,
    "mode" VARCHAR,
    "trigger" VARCHAR NOT NULL,
    actor_text VARCHAR,
    actor_name VARCHAR,
    actor_country VARCHAR,
    actor_sector VARCHAR,
    recipient_text VARCHAR,
    recipient_name VARCHAR,
    recipient_country VARCHAR,
    recipient_sector VARCHAR,
    event_date DATE,
    date_precision VARCHAR,
    place_name VARCHAR,
    place_country VARCHAR,
    dead INTEGER,
    injured INTEGER,
    reported_only BOOLEAN NOT NULL,
    confidence DOUBLE NOT NULL,
    extractor_version VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    cameo_root VARCHAR,
    quad_class INTEGER,
    dictionary_version VARCHAR,
    place_admin1 VARCHAR,
    place_lat DOUBLE,
    place_lon DOUBLE,
    place_precision VARCHAR,
    arrested INTEGER
);
INSERT INTO staging.event_mentions__013 SELECT * FROM staging.event_mentions;
DROP TABLE staging.event_mentions;
ALTER TABLE staging.event_mentions__013 RENAME TO event_mentions;

CREATE TABLE ops.failures__013 (
    failure_id VARCHAR NOT NULL,
    "source" VARCHAR NOT NULL,
    locator VARCHAR NOT NULL,
    stage VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    detail VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL
);
INSERT INTO ops.failures__013 SELECT * FROM ops.failures;
DROP TABLE ops.failures;
ALTER TABLE ops.failures__013 RENAME TO failures;
