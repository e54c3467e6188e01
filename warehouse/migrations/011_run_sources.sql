-- Run reports (issue 7): how each source went in a run, as a JSON list of
-- {"name", "kind", "status", "documents", "failures", "error"} (tasks.records.SourceRun),
-- shown by `newsflow runs` and in the run's markdown artifact.
ALTER TABLE ops.runs ADD COLUMN sources JSON;
