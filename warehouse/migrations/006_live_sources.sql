-- Live sources (issue 3): what each fetched document was, per-source fetch state, the feed entries
-- already seen, and cached robots.txt files.

-- How a fetched document was read, and which version of its feed entry it is.
ALTER TABLE raw.documents ADD COLUMN encoding VARCHAR;                -- charset detected when fetched
ALTER TABLE raw.documents ADD COLUMN entry_key VARCHAR;               -- feed entry guid, or canonical link
ALTER TABLE raw.documents ADD COLUMN entry_updated VARCHAR;           -- the entry's <updated>, ISO 8601 UTC
ALTER TABLE raw.documents ADD COLUMN version INTEGER DEFAULT 1;       -- 1, 2, ... per changed entry
ALTER TABLE raw.documents ADD COLUMN published_is_fetch_time BOOLEAN DEFAULT false;

-- One row per source: the validators for conditional GET, the last fetch, and back-off after failures.
CREATE TABLE ops.source_state (
    source               VARCHAR PRIMARY KEY,
    location             VARCHAR NOT NULL,
    etag                 VARCHAR,
    last_modified        VARCHAR,
    last_fetch_at        TIMESTAMPTZ NOT NULL,
    last_status          VARCHAR NOT NULL,   -- ok | not-modified | backed-off | <failure reason>
    last_error           VARCHAR,
    consecutive_failures INTEGER NOT NULL,
    next_fetch_after     TIMESTAMPTZ,        -- set when the source is backed off
    run_id               VARCHAR NOT NULL    -- the run that wrote this state
);

-- Every feed entry (or listed URL) fetched, per version. Key: hash of (source, entry_key, updated).
CREATE TABLE raw.feed_entries (
    entry_id      VARCHAR PRIMARY KEY,
    source        VARCHAR NOT NULL,
    entry_key     VARCHAR NOT NULL,          -- guid, or canonical link when there is no guid
    link_key      VARCHAR,                   -- canonical link (seen across sources by it too)
    updated       VARCHAR,                   -- the entry's <updated>, ISO 8601 UTC
    version       INTEGER NOT NULL,
    raw_id        VARCHAR NOT NULL,          -- the document stored for it
    first_seen_at TIMESTAMPTZ NOT NULL,
    run_id        VARCHAR NOT NULL
);

-- robots.txt per origin, reused for a day (RFC 9309 allows caching up to 24 hours).
CREATE TABLE raw.robots (
    origin     VARCHAR PRIMARY KEY,          -- scheme://host:port
    status     INTEGER,                      -- HTTP status; NULL when unreachable
    body       VARCHAR NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL
);

-- How each run's sources went: {"ok": n, "not-modified": n, "backed-off": n, "failed": n}.
ALTER TABLE ops.runs ADD COLUMN source_status JSON;
