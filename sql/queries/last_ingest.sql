-- last_ingest: per org and source, when the newest time entry or task event
-- was ingested (any version, tombstones too: all of it is fresh data).
-- Columns: org_id String, source String, at DateTime64(3, 'UTC').
SELECT org_id, toString(source) AS source, max(ingested_at) AS at
FROM
(
    SELECT org_id, source, ingested_at FROM ops.time_entries
    UNION ALL
    SELECT org_id, source, ingested_at FROM ops.task_events
)
GROUP BY org_id, source
ORDER BY org_id, source
