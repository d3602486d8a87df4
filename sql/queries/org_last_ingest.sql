-- org_last_ingest: when one org's newest time entry or task event was
-- ingested, from any source (any version, tombstones too: all of it is
-- fresh data); null when it has none. last_ingest.sql is the same per org
-- and source, for /metrics.
-- Parameters: org {org:String}.
-- Columns: at Nullable(DateTime64(3, 'UTC')).
SELECT if(count() = 0, NULL, max(ingested_at)) AS at
FROM
(
    SELECT ingested_at FROM ops.time_entries WHERE org_id = {org:String}
    UNION ALL
    SELECT ingested_at FROM ops.task_events WHERE org_id = {org:String}
)
