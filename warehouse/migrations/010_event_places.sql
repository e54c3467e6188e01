-- Geocoded event places and arrest counts (issue 6). Places: the GeoNames admin1 (a US state's name, else "<alpha-2>.<code>"),
-- coordinates (none for a country: the gazetteer has no centroids) and precision
-- (city | admin1 | country), from tasks/geocode.py.
ALTER TABLE staging.event_mentions ADD COLUMN place_admin1 VARCHAR;
ALTER TABLE staging.event_mentions ADD COLUMN place_lat DOUBLE;
ALTER TABLE staging.event_mentions ADD COLUMN place_lon DOUBLE;
ALTER TABLE staging.event_mentions ADD COLUMN place_precision VARCHAR;
ALTER TABLE staging.event_mentions ADD COLUMN arrested INTEGER;  -- people arrested or detained
