-- Per-source state: failures never negative; a backed-off source has failed; ok means no failures.
SELECT source, last_status, consecutive_failures, next_fetch_after
FROM ops.source_state
WHERE consecutive_failures < 0
   OR (next_fetch_after IS NOT NULL AND consecutive_failures = 0)
   OR (last_status IN ('ok', 'not-modified') AND consecutive_failures <> 0);
