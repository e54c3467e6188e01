INSERT INTO ops.failures (failure_id, source, locator, stage, reason, detail, run_id)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;
