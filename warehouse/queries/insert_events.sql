INSERT INTO marts.events
    (event_id, article_id, sentence_idx, sentence, sentence_start, sentence_end, event_type, mode,
     trigger, actor_text, actor_name, actor_country, actor_sector, recipient_text, recipient_name,
     recipient_country, recipient_sector, event_date, date_precision, place_name, place_country,
     dead, injured, reported_only, confidence, extractor_version, run_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;
