-- One row per run, with its counts and status.
CREATE TABLE ops.runs (
    run_id             VARCHAR PRIMARY KEY,
    started_at         TIMESTAMPTZ NOT NULL,
    finished_at        TIMESTAMPTZ NOT NULL,
    status             VARCHAR NOT NULL,
    sources_read       INTEGER NOT NULL,
    documents_read     INTEGER NOT NULL,
    articles_new       INTEGER NOT NULL,
    articles_duplicate INTEGER NOT NULL,
    articles_failed    INTEGER NOT NULL,
    events_extracted   INTEGER NOT NULL,
    seconds            DOUBLE NOT NULL,
    stage_seconds      JSON
);

-- One row per bad document (or source), with the reason. Key: hash of (source, locator, stage).
CREATE TABLE ops.failures (
    failure_id VARCHAR PRIMARY KEY,
    source     VARCHAR NOT NULL,
    locator    VARCHAR NOT NULL,
    stage      VARCHAR NOT NULL,
    reason     VARCHAR NOT NULL,
    detail     VARCHAR NOT NULL,
    run_id     VARCHAR NOT NULL      -- the run that first recorded it
);
