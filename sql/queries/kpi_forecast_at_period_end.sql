-- kpi: forecast_at_period_end
-- title: Forecast at period end
-- unit: hours
-- group_by: project, client
-- filters: client, project
-- version: 1
-- description: Hours each budgeted project will have used by the end of its budget period: used so far plus the hours allocations schedule for the rest of the period, or, for a project with no allocation there, plus burn rate × remaining workdays.
-- Parameters: org, to, now, tz, org_workdays, group_by, interval, from, client, project.
--   fragments/budget_periods.sql: the period containing the day before `to`, "now" =
--   min(to, now). method 'allocations' when any allocation of the project books a workday
--   in [cut, period end) (confirmed hours, tentative ones × probability, on the org's
--   workdays that are not org holidays; hours_per_week spread evenly over the org's
--   workdays); else 'burn_rate'; '' (and a null forecast) when the period has no end (a
--   project other than a retainer without end_date) or no burn rate. A group's forecast
--   sums its projects' forecasts.
-- Columns: period Date (bucket of the as-of day), grp String, value Nullable(Decimal)
--   (forecast hours), used_hours Decimal, burn_rate Nullable(Decimal), remaining_workdays
--   Nullable(UInt64) (the most over the group), scheduled_hours Decimal (of the projects
--   forecast by allocations), method String ('mixed' when a group's projects differ),
--   budget_hours Nullable(Decimal), period_end Nullable(Date) (exclusive, latest),
--   projects UInt64, forecast_projects UInt64 (those with a forecast).
WITH {{budget_periods}}
SELECT multiIf({interval:String} = 'day', asof, {interval:String} = 'week', toMonday(asof),
        {interval:String} = 'month', toStartOfMonth(asof), {from:Date}) AS period,
    multiIf({group_by:String} = 'project', project_id, {group_by:String} = 'client', client_id, '') AS grp,
    sum(forecast_h) AS value, sum(used_h) AS used_hours, sum(burn) AS burn_rate, max(remaining_days) AS remaining_workdays,
    sumIf(scheduled_h, f_method = 'allocations') AS scheduled_hours,
    if(uniqExact(f_method) = 1, any(f_method), 'mixed') AS method, sum(budget_h) AS budget_hours,
    if(countIf(isNull(p_end)) > 0, NULL, max(p_end)) AS period_end,
    count() AS projects, countIf(isNotNull(forecast_h)) AS forecast_projects
FROM budget_periods
GROUP BY period, grp
ORDER BY period, grp
