-- Cleaned articles (one per raw document that could be cleaned), duplicates included;
-- staging.duplicates says which ones duplicate which.
CREATE TABLE staging.articles (
    article_id       VARCHAR PRIMARY KEY,   -- = raw_id
    raw_id           VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,
    url              VARCHAR,
    canonical_url    VARCHAR,               -- as the page declares it
    url_key          VARCHAR,               -- normalized canonical URL used by dedup
    title            VARCHAR,
    authors          VARCHAR[] NOT NULL,
    published_at     TIMESTAMPTZ,
    published_date   DATE,
    published_source VARCHAR,
    language         VARCHAR,
    site_name        VARCHAR,
    text             VARCHAR NOT NULL,
    text_hash        VARCHAR NOT NULL,      -- hash of the normalized text
    word_count       INTEGER NOT NULL,
    run_id           VARCHAR NOT NULL
);
CREATE INDEX articles_url_key ON staging.articles (url_key);
CREATE INDEX articles_text_hash ON staging.articles (text_hash);

CREATE TABLE staging.duplicates (
    article_id   VARCHAR PRIMARY KEY,       -- the duplicate
    duplicate_of VARCHAR NOT NULL,          -- the article it duplicates
    reason       VARCHAR NOT NULL,          -- url | exact | near
    score        DOUBLE,                    -- containment for near duplicates
    run_id       VARCHAR NOT NULL
);

-- MinHash LSH band keys, so tonight's articles are checked against every earlier night.
CREATE TABLE staging.article_bands (
    band_key   VARCHAR NOT NULL,
    article_id VARCHAR NOT NULL,
    PRIMARY KEY (band_key, article_id)
);
