-- table_counts: deduplicated row counts of the main tables, for `opsmetrics demo`
-- and operators checking what is loaded.
-- Parameters: none.
-- Columns: table String, rows UInt64.
SELECT table, rows FROM
(
              SELECT 1 AS k, 'people' AS table, count() AS rows FROM ops.people FINAL
    UNION ALL SELECT 2, 'clients', count() FROM ops.clients FINAL
    UNION ALL SELECT 3, 'projects', count() FROM ops.projects FINAL
    UNION ALL SELECT 4, 'time_entries', count() FROM ops.time_entries FINAL
    UNION ALL SELECT 5, 'deliverables', count() FROM ops.deliverables FINAL
    UNION ALL SELECT 6, 'task_events', count() FROM ops.task_events FINAL
    UNION ALL SELECT 7, 'allocations', count() FROM ops.allocations FINAL
    UNION ALL SELECT 8, 'time_off', count() FROM ops.time_off FINAL
    UNION ALL SELECT 9, 'holidays', count() FROM ops.holidays FINAL
    UNION ALL SELECT 10, 'adjustments', count() FROM ops.adjustments FINAL
    UNION ALL SELECT 11, 'invoice_lines', count() FROM ops.invoice_lines FINAL
)
ORDER BY k
