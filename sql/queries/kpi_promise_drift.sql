-- kpi: promise_drift
-- title: Promise drift
-- unit: count
-- group_by: client, project, person
-- filters: client, project, person
-- version: 1
-- description: How often due dates moved after they were committed, for deliverables whose current due date falls in the range: the number of due-date changes, with the total days moved (earlier or later both count).
-- Parameters: org, from, to, group_by, interval, client, project, person, tz.
--   The changes are the deliverable's due_date_changed events in time order, starting from
--   committed_due_date; an event that sets the date it already had is not a change. With no
--   committed date, the first event's date is the commitment. person is the owner; period
--   is the bucket of the current due date.
-- Columns: period Date, grp String, value UInt64 (changes), days_moved UInt64 (Σ |days moved|),
--   deliverables UInt64 (due in the range), drifted UInt64 (deliverables with at least one change).
WITH {{delivery_items}},
drift_events AS
(
    -- the due dates each deliverable was moved to, in the order they were set
    SELECT deliverable_id, arrayMap(x -> x.3, arraySort(groupArray((occurred_at, external_id, assumeNotNull(due_date))))) AS dues
    FROM ops.task_events FINAL
    WHERE org_id = {org:String} AND type = 'due_date_changed' AND deliverable_id != '' AND due_date IS NOT NULL
    GROUP BY deliverable_id
),
drift AS
(
    SELECT assumeNotNull(i.due_date) AS due, i.client_id AS client_id, i.project_id AS project_id, i.owner_id AS owner_id,
        if(i.committed_due_date IS NULL, e.dues, arrayPushFront(e.dues, assumeNotNull(i.committed_due_date))) AS chain,
        arrayMap((a, b) -> toUInt64(abs(dateDiff('day', a, b))), arrayPopBack(chain), arrayPopFront(chain)) AS moves,
        toUInt64(arrayCount(m -> m != 0, moves)) AS changes
    FROM delivery_items AS i
    LEFT JOIN drift_events AS e ON i.deliverable_id = e.deliverable_id
    WHERE i.due_date >= {from:Date} AND i.due_date < {to:Date}
)
SELECT multiIf({interval:String} = 'day', due, {interval:String} = 'week', toMonday(due),
        {interval:String} = 'month', toStartOfMonth(due), {from:Date}) AS period,
    multiIf({group_by:String} = 'client', client_id, {group_by:String} = 'project', project_id,
        {group_by:String} = 'person', owner_id, '') AS grp,
    sum(changes) AS value, sum(arraySum(moves)) AS days_moved, count() AS deliverables, countIf(changes > 0) AS drifted
FROM drift
GROUP BY period, grp
ORDER BY period, grp
