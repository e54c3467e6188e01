-- Event mentions (sentences reporting an event): one parameter per column, each a list of that column's values (row i is
-- element i of every list). Rows whose key is already stored are left as they are (an ANTI JOIN on mention_id:
-- the table has no key index, migration 013).
INSERT INTO staging.event_mentions (mention_id, article_id, sentence_idx, sentence, sentence_start, sentence_end, event_type, mode, trigger, actor_text, actor_name, actor_country, actor_sector, recipient_text, recipient_name, recipient_country, recipient_sector, event_date, date_precision, place_name, place_country, dead, injured, reported_only, confidence, extractor_version, run_id, cameo_root, quad_class, dictionary_version, place_admin1, place_lat, place_lon, place_precision, arrested)
SELECT n.* FROM (SELECT
    unnest(?::VARCHAR[]) AS mention_id,
    unnest(?::VARCHAR[]) AS article_id,
    unnest(?::INTEGER[]) AS sentence_idx,
    unnest(?::VARCHAR[]) AS sentence,
    unnest(?::INTEGER[]) AS sentence_start,
    unnest(?::INTEGER[]) AS sentence_end,
    unnest(?::VARCHAR[]) AS event_type,
    unnest(?::VARCHAR[]) AS mode,
    unnest(?::VARCHAR[]) AS trigger,
    unnest(?::VARCHAR[]) AS actor_text,
    unnest(?::VARCHAR[]) AS actor_name,
    unnest(?::VARCHAR[]) AS actor_country,
    unnest(?::VARCHAR[]) AS actor_sector,
    unnest(?::VARCHAR[]) AS recipient_text,
    unnest(?::VARCHAR[]) AS recipient_name,
    unnest(?::VARCHAR[]) AS recipient_country,
    unnest(?::VARCHAR[]) AS recipient_sector,
    unnest(?::DATE[]) AS event_date,
    unnest(?::VARCHAR[]) AS date_precision,
    unnest(?::VARCHAR[]) AS place_name,
    unnest(?::VARCHAR[]) AS place_country,
    unnest(?::INTEGER[]) AS dead,
    unnest(?::INTEGER[]) AS injured,
    unnest(?::BOOLEAN[]) AS reported_only,
    unnest(?::DOUBLE[]) AS confidence,
    unnest(?::VARCHAR[]) AS extractor_version,
    unnest(?::VARCHAR[]) AS run_id,
    unnest(?::VARCHAR[]) AS cameo_root,
    unnest(?::INTEGER[]) AS quad_class,
    unnest(?::VARCHAR[]) AS dictionary_version,
    unnest(?::VARCHAR[]) AS place_admin1,
    unnest(?::DOUBLE[]) AS place_lat,
    unnest(?::DOUBLE[]) AS place_lon,
    unnest(?::VARCHAR[]) AS place_precision,
    unnest(?::INTEGER[]) AS arrested
) n
ANTI JOIN staging.event_mentions t ON t.mention_id = n.mention_id;
