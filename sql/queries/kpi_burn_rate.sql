-- kpi: burn_rate
-- title: Burn rate
-- unit: hours
-- group_by: project, client
-- filters: client, project
-- version: 1
-- description: Hours logged per workday on each budgeted project over the trailing 14 days before now (or before `to` when that is earlier): the pace the forecast and the exhaustion date extrapolate.
-- Parameters: org, to, now, tz, org_workdays, group_by, interval, from, client, project.
--   The window is [cut − 14 days, cut), cut = min(to, org's today + 1), starting at the
--   project's start_date when that is later; hours logged on any day of it (weekends too)
--   count, and they are divided by the window's workdays: the org's workdays
--   (org_workdays) that are not holidays on the org calendar. No workday in the window
--   gives null. Same projects as budget_used (fragments/budget_periods.sql). A group's rate
--   is the sum of its projects' rates.
-- Columns: period Date (bucket of the as-of day), grp String, value Nullable(Decimal)
--   (hours per workday), window_hours Decimal, window_workdays UInt64 (the most over the
--   group), window_start Date (earliest over the group), window_end Date (exclusive, = cut),
--   projects UInt64.
WITH {{budget_periods}}
SELECT multiIf({interval:String} = 'day', asof, {interval:String} = 'week', toMonday(asof),
        {interval:String} = 'month', toStartOfMonth(asof), {from:Date}) AS period,
    multiIf({group_by:String} = 'project', project_id, {group_by:String} = 'client', client_id, '') AS grp,
    sum(burn) AS value, sum(win_h) AS window_hours, max(win_days) AS window_workdays,
    min(win_start) AS window_start, max(cut) AS window_end, count() AS projects
FROM budget_periods
GROUP BY period, grp
ORDER BY period, grp
