-- kpi: slip_days
-- title: Slip days of late deliveries
-- unit: days
-- group_by: client, project, person
-- filters: client, project, person
-- version: 1
-- description: For late deliveries delivered in the range, how many days after the due date they were delivered (delivery date in the org's time zone − due date); the median, with the 90th percentile and the count.
-- Parameters: org, from, to, group_by, interval, client, project, person, tz, grace_days.
--   Late = delivered after the end of due date + grace days. Percentiles interpolate
--   linearly between the sorted values (quantileExactInclusive, as Excel PERCENTILE.INC).
--   person is the deliverable's owner; period is the bucket of the delivery date.
-- Columns: period Date, grp String, value Float64 (p50 days), p90 Float64 (days),
--   late UInt64 (late deliveries), slip_days_total Int64 (Σ slip days, for a mean).
WITH {{delivery_items}},
late AS
(
    SELECT assumeNotNull(delivered_day) AS day, dateDiff('day', assumeNotNull(due_date), day) AS slip,
        client_id, project_id, owner_id
    FROM delivery_items
    WHERE delivered_day >= {from:Date} AND delivered_day < {to:Date} AND due_date IS NOT NULL
      AND delivered_day > due_date + {grace_days:UInt64}
)
SELECT multiIf({interval:String} = 'day', day, {interval:String} = 'week', toMonday(day),
        {interval:String} = 'month', toStartOfMonth(day), {from:Date}) AS period,
    multiIf({group_by:String} = 'client', client_id, {group_by:String} = 'project', project_id,
        {group_by:String} = 'person', owner_id, '') AS grp,
    quantileExactInclusive(0.5)(slip) AS value, quantileExactInclusive(0.9)(slip) AS p90,
    count() AS late, sum(slip) AS slip_days_total
FROM late
GROUP BY period, grp
ORDER BY period, grp
