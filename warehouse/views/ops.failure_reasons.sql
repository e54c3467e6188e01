-- Bad documents per stage and reason.
CREATE OR REPLACE VIEW ops.failure_reasons AS
SELECT stage, reason, count(*) AS n_documents, any_value(detail) AS example
FROM ops.failures
GROUP BY stage, reason;
