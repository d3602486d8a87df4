-- kpi: approval_time_p50
-- title: Client approval time, p50
-- unit: hours
-- group_by: client, project
-- filters: client, project
-- version: 1
-- description: The median time clients took to decide on a review request (approve or ask for changes), over review cycles decided in the range, in calendar hours; business_hours gives the same within the org's workdays and business hours.
-- Parameters: org, from, to, group_by, interval, client, project, tz, org_workdays, day_start, day_end.
--   A cycle runs from a client_review_requested event to the deliverable's next client
--   decision (fragments/review_cycles.sql). Percentiles interpolate linearly between the
--   sorted values (quantileExactInclusive, as Excel PERCENTILE.INC). period is the bucket of
--   the decision's date in the org's time zone.
-- Columns: period Date, grp String, value Float64 (calendar hours), business_hours Float64,
--   cycles UInt64 (decided cycles).
WITH {{review_cycles}},
decided AS
(
    SELECT toDate(assumeNotNull(decided_at), {tz:String}) AS day, client_id, project_id,
        assumeNotNull(calendar_hours) AS hours, assumeNotNull(business_hours) AS work_hours
    FROM review_cycles
    WHERE decided_at IS NOT NULL AND day >= {from:Date} AND day < {to:Date}
)
SELECT multiIf({interval:String} = 'day', day, {interval:String} = 'week', toMonday(day),
        {interval:String} = 'month', toStartOfMonth(day), {from:Date}) AS period,
    multiIf({group_by:String} = 'client', client_id, {group_by:String} = 'project', project_id, '') AS grp,
    quantileExactInclusive(0.5)(hours) AS value, quantileExactInclusive(0.5)(work_hours) AS business_hours,
    count() AS cycles
FROM decided
GROUP BY period, grp
ORDER BY period, grp
