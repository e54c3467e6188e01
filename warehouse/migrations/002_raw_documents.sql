-- Every document a source delivered, byte for byte. Key: hash of (source, locator, body).
CREATE TABLE raw.documents (
    raw_id       VARCHAR PRIMARY KEY,
    source       VARCHAR NOT NULL,
    locator      VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,      -- html | text
    url          VARCHAR,
    title        VARCHAR,
    published    VARCHAR,               -- as the source gave it (feed entry, sidecar, JSONL)
    authors      VARCHAR[] NOT NULL,    -- as the source gave them
    content_hash VARCHAR NOT NULL,      -- sha256 of body
    body         BLOB NOT NULL,
    fetched_at   TIMESTAMPTZ NOT NULL,
    run_id       VARCHAR NOT NULL       -- the run that first stored it
);
