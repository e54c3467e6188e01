-- accepted values: the 16 PLOVER event types
SELECT event_id, event_type FROM marts.events
WHERE event_type NOT IN ('AGREE', 'CONSULT', 'SUPPORT', 'CONCEDE', 'COOPERATE', 'AID', 'RETREAT',
                         'REQUEST', 'ACCUSE', 'REJECT', 'THREATEN', 'PROTEST', 'SANCTION',
                         'MOBILIZE', 'COERCE', 'ASSAULT');
