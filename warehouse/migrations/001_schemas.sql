-- Layers: raw (what was fetched) -> staging (cleaned, typed) -> marts (what analysts query);
-- ops holds the runs and failures.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS marts;
CREATE SCHEMA IF NOT EXISTS ops;
