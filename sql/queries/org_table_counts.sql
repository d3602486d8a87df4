-- org_table_counts: one org's deduplicated row counts of the main tables, for
-- the status page of a signed-in org (table_counts has every org's).
-- Parameters: org String.
-- Columns: table String, rows UInt64.
SELECT table, rows FROM
(
              SELECT 1 AS k, 'people' AS table, count() AS rows FROM ops.people FINAL WHERE org_id = {org:String}
    UNION ALL SELECT 2, 'clients', count() FROM ops.clients FINAL WHERE org_id = {org:String}
    UNION ALL SELECT 3, 'projects', count() FROM ops.projects FINAL WHERE org_id = {org:String}
    UNION ALL SELECT 4, 'time_entries', count() FROM ops.time_entries FINAL WHERE org_id = {org:String}
    UNION ALL SELECT 5, 'deliverables', count() FROM ops.deliverables FINAL WHERE org_id = {org:String}
    UNION ALL SELECT 6, 'task_events', count() FROM ops.task_events FINAL WHERE org_id = {org:String}
    UNION ALL SELECT 7, 'allocations', count() FROM ops.allocations FINAL WHERE org_id = {org:String}
    UNION ALL SELECT 8, 'time_off', count() FROM ops.time_off FINAL WHERE org_id = {org:String}
    UNION ALL SELECT 9, 'holidays', count() FROM ops.holidays FINAL WHERE org_id = {org:String}
    UNION ALL SELECT 10, 'adjustments', count() FROM ops.adjustments FINAL WHERE org_id = {org:String}
    UNION ALL SELECT 11, 'invoice_lines', count() FROM ops.invoice_lines FINAL WHERE org_id = {org:String}
)
ORDER BY k
