-- hook_task_state: what the store knows of some tasks of one tool of an org,
-- for the reconciler to add only the transitions the webhooks missed. One
-- row per task and kind: 'events' sums up the task's events (the latest
-- status, the latest due date an event set, whether the latest delivery
-- event delivered or reopened it); 'deliverable' is the task's row, the
-- state the last fetch of the whole task left. FINAL: a redelivered event
-- is one row.
-- Parameters: org {org:String}, source {source:String}, tasks {tasks:Array(String)}.
-- Columns: kind String, task_id String, status String, has_due UInt8, due Nullable(Date),
--          has_done UInt8, done UInt8.
SELECT 'events' AS kind, task_id,
       argMaxIf(to_status, occurred_at, type IN ('created', 'status_changed', 'reopened') AND to_status != '') AS status,
       toUInt8(countIf(type = 'due_date_changed') > 0) AS has_due,
       argMaxIf(due_date, occurred_at, type = 'due_date_changed') AS due,
       toUInt8(countIf(type IN ('delivered', 'reopened')) > 0) AS has_done,
       toUInt8(argMaxIf(type = 'delivered', occurred_at, type IN ('delivered', 'reopened'))) AS done
FROM ops.task_events FINAL
WHERE org_id = {org:String} AND source = {source:String} AND task_id IN {tasks:Array(String)} AND deleted = 0
GROUP BY task_id
UNION ALL
SELECT 'deliverable' AS kind, external_id AS task_id, '' AS status, toUInt8(1) AS has_due, due_date AS due,
       toUInt8(1) AS has_done, toUInt8(delivered_at IS NOT NULL) AS done
FROM ops.deliverables FINAL
WHERE org_id = {org:String} AND source = {source:String} AND external_id IN {tasks:Array(String)} AND deleted = 0
