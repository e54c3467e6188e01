-- The outlet of an article, as the story views show it: the host of its canonical URL (url_key,
-- else its URL) without "www.", or else the source name (files and feeds with no URL). A macro,
-- not a stored column, so that it follows url_key when `newsflow reprocess --dedup` rewrites it;
-- the story marts call it only on the rows they return (it is a regular expression per row).
CREATE OR REPLACE MACRO staging.story_outlet(url_key, url, source) AS
    coalesce(nullif(regexp_extract(lower(coalesce(url_key, url, '')), '^[a-z]+://(?:www\.)?([^/:?#]+)', 1), ''),
             source);
