-- Dedup across nights at scale (issue 5).
--
-- staging.article_signatures: each article's MinHash signature (128 little-endian uint64) and
-- number of word shingles, so tonight's LSH candidates are filtered by estimated similarity
-- before any stored text is read.
--
-- staging.lsh_bands replaces staging.article_bands: band keys are 64-bit integers (full-text
-- bands and lead bands), not strings, and the table has no primary-key index (an index over
-- ~80 rows per article would be held in memory by the writer). The load inserts an article's
-- keys only with its signature row, so re-running a night adds nothing.
-- Articles stored before this migration get their signatures and keys from the load, computed
-- from their text (tasks.load.backfill_signatures).
CREATE TABLE staging.article_signatures (
    article_id    VARCHAR PRIMARY KEY,
    signature     BLOB NOT NULL,
    shingle_count INTEGER NOT NULL,
    run_id        VARCHAR NOT NULL
);

CREATE TABLE staging.lsh_bands (
    band_key   BIGINT NOT NULL,
    article_id VARCHAR NOT NULL
);

DROP TABLE staging.article_bands;
