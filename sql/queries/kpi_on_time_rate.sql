-- kpi: on_time_rate
-- title: On-time delivery rate
-- unit: ratio
-- group_by: client, project, person
-- filters: client, project, person
-- version: 1
-- description: On-time deliveries ÷ (deliveries + open-overdue deliverables), over deliverables whose current due date falls in the range. On time = delivered by the end of the due date (org time zone) plus the org's grace days; open-overdue = not delivered and that deadline passed at min(to, now). Open deliverables not yet due are left out.
-- Parameters: org, from, to, group_by, interval, client, project, person, tz, grace_days, now.
--   person is the deliverable's owner; period is the bucket of the due date.
-- Columns: period Date, grp String, value Nullable(Float64), on_time UInt64,
--   delivered UInt64, open_overdue UInt64.
WITH {{delivery_items}},
judged AS
(
    SELECT assumeNotNull(due_date) AS due, client_id, project_id, owner_id,
        delivered_at IS NOT NULL AS is_delivered,
        is_delivered AND delivered_day <= due + {grace_days:UInt64} AS is_on_time,
        -- the deadline is the local midnight after due + grace; it has passed when it is at or
        -- before the cutoff, the start of `to` in the org's time zone or now, whichever is earlier
        NOT is_delivered AND toDateTime(due + {grace_days:UInt64} + 1, {tz:String})
            <= least(toDateTime({to:Date}, {tz:String}), {now:DateTime64(3)}) AS is_overdue
    FROM delivery_items
    WHERE due_date >= {from:Date} AND due_date < {to:Date}
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
