-- The history of each story told under one URL: version 1 is the first article, each later
-- one is new text under the same canonical URL (dedup reason "version"), in order of
-- publication, then of fetching. similarity_to_first is the containment of the two texts.
CREATE OR REPLACE VIEW marts.article_versions AS
SELECT
    m.story_id,
    m.article_id,
    row_number() OVER w                                        AS version,
    count(*) OVER (PARTITION BY m.story_id)                    AS n_versions,
    row_number() OVER w = count(*) OVER (PARTITION BY m.story_id) AS is_latest,
    m.score                                                    AS similarity_to_first,
    m.title, m.url, m.published_at, m.fetched_at, m.word_count
FROM staging.story_members m
WHERE m.reason IN ('original', 'version')
WINDOW w AS (PARTITION BY m.story_id
             ORDER BY m.article_id <> m.story_id, m.published_at NULLS LAST, m.fetched_at, m.article_id);
