-- `newsflow sources status`: how each live source is doing, failing ones first.
SELECT source, last_status, consecutive_failures AS failures, last_fetch_at, next_fetch_after,
       etag IS NOT NULL OR last_modified IS NOT NULL AS conditional, last_error, location
FROM ops.source_state
ORDER BY consecutive_failures DESC, source;
