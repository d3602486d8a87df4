-- kpi: budget_used
-- title: Budget used
-- unit: hours
-- group_by: project, client
-- filters: client, project
-- version: 1
-- description: Hours (and standard value) used so far in each budgeted project's current budget period: the calendar month for a retainer, the project's whole life for any other project.
-- Parameters: org, to, now, tz, org_workdays, group_by, interval, from, client, project.
--   The KPI is a snapshot of the budget period containing the day before `to`, as of
--   min(to, now) (fragments/budget_periods.sql); `from` only names the period when there is
--   no interval. Only projects with a budget (retainer_hours_monthly or retainer_fee_monthly
--   for a retainer, budget_hours or budget_amount otherwise) running on that day are listed.
--   Used hours count every hour logged on the project (billable or not); used value is the
--   standard value (hours × bill rate, spec §4) of the billable ones.
-- Columns: period Date (bucket of the as-of day), grp String, value Decimal (used hours),
--   budget_hours, budget_amount (Nullable Decimal: summed over the projects that have one),
--   used_hours, used_value (Decimal), used_ratio Nullable(Float64) (used hours ÷ budget hours,
--   over the projects with an hour budget), period_start Date, period_end Nullable(Date)
--   (exclusive; earliest start and latest end over the group), projects UInt64.
WITH {{budget_periods}}
SELECT multiIf({interval:String} = 'day', asof, {interval:String} = 'week', toMonday(asof),
        {interval:String} = 'month', toStartOfMonth(asof), {from:Date}) AS period,
    multiIf({group_by:String} = 'project', project_id, {group_by:String} = 'client', client_id, '') AS grp,
    sum(used_h) AS value, sum(budget_h) AS budget_hours, sum(budget_a) AS budget_amount,
    sum(used_h) AS used_hours, sum(used_v) AS used_value,
    if(sum(budget_h) > 0, toFloat64(sumIf(used_h, isNotNull(budget_h))) / toFloat64(sum(budget_h)), NULL) AS used_ratio,
    min(p_start) AS period_start, if(countIf(isNull(p_end)) > 0, NULL, max(p_end)) AS period_end,
    count() AS projects
FROM budget_periods
GROUP BY period, grp
ORDER BY period, grp
