-- Cleaned articles: one parameter per column, each a list of that column's values (row i is
-- element i of every list). Rows whose key is already stored are left as they are (an ANTI JOIN on article_id:
-- the table has no key index, migration 013).
INSERT INTO staging.articles (article_id, raw_id, source, url, canonical_url, url_key, title, authors, published_at, published_date, published_source, language, site_name, text, text_hash, word_count, run_id,
                              modified_at, section, tags, image_url, field_sources)
SELECT n.* FROM (SELECT
    unnest(?::VARCHAR[]) AS article_id,
    unnest(?::VARCHAR[]) AS raw_id,
    unnest(?::VARCHAR[]) AS source,
    unnest(?::VARCHAR[]) AS url,
    unnest(?::VARCHAR[]) AS canonical_url,
    unnest(?::VARCHAR[]) AS url_key,
    unnest(?::VARCHAR[]) AS title,
    unnest(?::VARCHAR[][]) AS authors,
    unnest(?::TIMESTAMPTZ[]) AS published_at,
    unnest(?::DATE[]) AS published_date,
    unnest(?::VARCHAR[]) AS published_source,
    unnest(?::VARCHAR[]) AS language,
    unnest(?::VARCHAR[]) AS site_name,
    unnest(?::VARCHAR[]) AS text,
    unnest(?::VARCHAR[]) AS text_hash,
    unnest(?::INTEGER[]) AS word_count,
    unnest(?::VARCHAR[]) AS run_id,
    unnest(?::TIMESTAMPTZ[]) AS modified_at,
    unnest(?::VARCHAR[]) AS section,
    unnest(?::VARCHAR[][]) AS tags,
    unnest(?::VARCHAR[]) AS image_url,
    unnest(?::JSON[]) AS field_sources
) n
ANTI JOIN staging.articles t ON t.article_id = n.article_id;
