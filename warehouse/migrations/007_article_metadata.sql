-- Article metadata (issue 4): modification date, section, tags, lead image, and where each
-- metadata field came from (e.g. {"title": "og", "published": "json-ld", "authors": "meta"}).
ALTER TABLE staging.articles ADD COLUMN modified_at TIMESTAMPTZ;
ALTER TABLE staging.articles ADD COLUMN section VARCHAR;
ALTER TABLE staging.articles ADD COLUMN tags VARCHAR[];
ALTER TABLE staging.articles ADD COLUMN image_url VARCHAR;
ALTER TABLE staging.articles ADD COLUMN field_sources JSON;           -- field_sources->>'title' = "og"
