-- accepted values: the 16 PLOVER event types, and their quad classes
SELECT mention_id, event_type, quad_class FROM staging.event_mentions
WHERE event_type NOT IN ('AGREE', 'CONSULT', 'SUPPORT', 'CONCEDE', 'COOPERATE', 'AID', 'RETREAT',
                         'REQUEST', 'ACCUSE', 'REJECT', 'THREATEN', 'PROTEST', 'SANCTION',
                         'MOBILIZE', 'COERCE', 'ASSAULT')
   OR quad_class NOT IN (1, 2, 3, 4);
