-- kpi: committed_on_time_rate
-- title: On-time delivery rate against the committed date
-- unit: ratio
-- group_by: client, project, person
-- filters: client, project, person
-- version: 1
-- description: on_time_rate measured against the first committed due date instead of the current one (the current due date when none was committed), so moving a due date does not make a late delivery look on time.
-- Parameters: org, from, to, group_by, interval, client, project, person, tz, grace_days, now.
--   person is the deliverable's owner; period is the bucket of the committed date.
-- Columns: period Date, grp String, value Nullable(Float64), on_time UInt64,
--   delivered UInt64, open_overdue UInt64.
WITH {{delivery_items}},
judged AS
(
    SELECT assumeNotNull(coalesce(committed_due_date, due_date)) AS due, client_id, project_id, owner_id,
        delivered_at IS NOT NULL AS is_delivered,
        is_delivered AND delivered_day <= due + {grace_days:UInt64} AS is_on_time,
        -- as in on_time_rate: the deadline is the local midnight after due + grace
        NOT is_delivered AND toDateTime(due + {grace_days:UInt64} + 1, {tz:String})
            <= least(toDateTime({to:Date}, {tz:String}), {now:DateTime64(3)}) AS is_overdue
    FROM delivery_items
    WHERE coalesce(committed_due_date, due_date) >= {from:Date} AND coalesce(committed_due_date, due_date) < {to:Date}
)
SELECT multiIf({interval:String} = 'day', due, {interval:String} = 'week', toMonday(due),
        {interval:String} = 'month', toStartOfMonth(due), {from:Date}) AS period,
    multiIf({group_by:String} = 'client', client_id, {group_by:String} = 'project', project_id,
        {group_by:String} = 'person', owner_id, '') AS grp,
    if(countIf(is_delivered) + countIf(is_overdue) = 0, NULL,
        countIf(is_on_time) / (countIf(is_delivered) + countIf(is_overdue))) AS value,
    countIf(is_on_time) AS on_time, countIf(is_delivered) AS delivered, countIf(is_overdue) AS open_overdue
FROM judged
GROUP BY period, grp
ORDER BY period, grp
