-- Empty the event tables before refresh_event_clusters.sql and refresh_events.sql refill them
-- (tasks.warehouse.refresh_event_tables, inside the writer's transaction).
DELETE FROM staging.event_clusters;
DELETE FROM marts.events;
