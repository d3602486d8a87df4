-- table_counts: deduplicated row counts of the main tables, for `opsmetrics demo`
-- and operators checking what is loaded.
-- Parameters: none.
-- Columns: table String, rows UInt64.
SELECT 'people' AS table, count() AS rows FROM ops.people FINAL
UNION ALL SELECT 'clients', count() FROM ops.clients FINAL
UNION ALL SELECT 'projects', count() FROM ops.projects FINAL
UNION ALL SELECT 'time_entries', count() FROM ops.time_entries FINAL
UNION ALL SELECT 'deliverables', count() FROM ops.deliverables FINAL
UNION ALL SELECT 'task_events', count() FROM ops.task_events FINAL
UNION ALL SELECT 'allocations', count() FROM ops.allocations FINAL
UNION ALL SELECT 'time_off', count() FROM ops.time_off FINAL
UNION ALL SELECT 'holidays', count() FROM ops.holidays FINAL
UNION ALL SELECT 'adjustments', count() FROM ops.adjustments FINAL
UNION ALL SELECT 'invoice_lines', count() FROM ops.invoice_lines FINAL
