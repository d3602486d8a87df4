-- kpi: first_pass_approval_rate
-- title: First-pass approval rate
-- unit: ratio
-- group_by: client, project
-- filters: client, project
-- version: 1
-- description: Deliverables approved in the range whose first client decision was an approval (approved in their first review cycle) ÷ deliverables approved in the range.
-- Parameters: org, from, to, group_by, interval, client, project, tz (the fragment also
--   names org_workdays, day_start, day_end).
--   A deliverable counts once, in the period of its last approval in the range; its first
--   decision may lie before the range.
-- Columns: period Date, grp String, value Nullable(Float64), first_pass UInt64, approved UInt64.
WITH {{review_cycles}},
approved AS
(
    SELECT client_id, project_id,
        arrayFilter((x, type) -> type = 'client_approved' AND toDate(x, {tz:String}) >= {from:Date}
            AND toDate(x, {tz:String}) < {to:Date}, decision_times, decision_types) AS approvals,
        toDate(arrayMax(approvals), {tz:String}) AS day,
        -- the deliverable's first decision ever was an approval
        decision_types[1] = 'client_approved' AS is_first_pass
    FROM review_timelines
    WHERE notEmpty(approvals)
)
SELECT multiIf({interval:String} = 'day', day, {interval:String} = 'week', toMonday(day),
        {interval:String} = 'month', toStartOfMonth(day), {from:Date}) AS period,
    multiIf({group_by:String} = 'client', client_id, {group_by:String} = 'project', project_id, '') AS grp,
    if(count() = 0, NULL, countIf(is_first_pass) / count()) AS value, countIf(is_first_pass) AS first_pass, count() AS approved
FROM approved
GROUP BY period, grp
ORDER BY period, grp
