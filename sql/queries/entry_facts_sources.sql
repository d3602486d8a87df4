-- entry_facts_sources: what an org's entry facts are built from, summed up
-- per table so that any write changes it: the rows stored (versions not yet
-- merged away included), the newest ingest time and the newest version.
-- A merge can change it too, which only costs a needless rebuild.
-- Parameters: org {org:String}.
-- Columns: source String, rows UInt64, ingested DateTime64(3, 'UTC'), version UInt64.
SELECT source, rows, ingested, version
FROM
(
    SELECT 'time_entries' AS source, count() AS rows, max(ingested_at) AS ingested, max(version) AS version
    FROM ops.time_entries WHERE org_id = {org:String}
    UNION ALL
    SELECT 'people', count(), max(ingested_at), max(version) FROM ops.people WHERE org_id = {org:String}
    UNION ALL
    SELECT 'roles', count(), max(ingested_at), max(version) FROM ops.roles WHERE org_id = {org:String}
    UNION ALL
    SELECT 'projects', count(), max(ingested_at), max(version) FROM ops.projects WHERE org_id = {org:String}
    UNION ALL
    SELECT 'invoice_lines', count(), max(ingested_at), max(version) FROM ops.invoice_lines WHERE org_id = {org:String}
    UNION ALL
    SELECT 'adjustments', count(), max(ingested_at), max(version) FROM ops.adjustments WHERE org_id = {org:String}
)
ORDER BY source
