-- kpi: budget_remaining
-- title: Budget remaining
-- unit: hours
-- group_by: project, client
-- filters: client, project
-- version: 1
-- description: What is left of each budgeted project's current budget period, in hours (budget − used) and in money (budget amount − standard value used); negative once the budget is overrun.
-- Parameters: org, to, now, tz, org_workdays, group_by, interval, from, client, project.
--   Same projects, periods and "used" as budget_used (fragments/budget_periods.sql): the
--   budget period containing the day before `to`, as of min(to, now).
-- Columns: period Date (bucket of the as-of day), grp String, value Nullable(Decimal)
--   (remaining hours, summed over the projects with an hour budget; null when none has one),
--   budget_hours, used_hours (over those projects), remaining_amount Nullable(Decimal) (over
--   the projects with a money budget), budget_amount, used_value (over those projects),
--   period_end Nullable(Date) (exclusive, latest over the group), projects UInt64.
WITH {{budget_periods}}
SELECT multiIf({interval:String} = 'day', asof, {interval:String} = 'week', toMonday(asof),
        {interval:String} = 'month', toStartOfMonth(asof), {from:Date}) AS period,
    multiIf({group_by:String} = 'project', project_id, {group_by:String} = 'client', client_id, '') AS grp,
    sum(budget_h - used_h) AS value, sum(budget_h) AS budget_hours, sumIf(used_h, isNotNull(budget_h)) AS used_hours,
    sum(budget_a - used_v) AS remaining_amount, sum(budget_a) AS budget_amount, sumIf(used_v, isNotNull(budget_a)) AS used_value,
    if(countIf(isNull(p_end)) > 0, NULL, max(p_end)) AS period_end, count() AS projects
FROM budget_periods
GROUP BY period, grp
ORDER BY period, grp
