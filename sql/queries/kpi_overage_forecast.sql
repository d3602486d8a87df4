-- kpi: overage_forecast
-- title: Overage forecast
-- unit: hours
-- group_by: project, client
-- filters: client, project
-- version: 1
-- description: Hours by which each budgeted project is forecast to overrun its budget period (forecast at period end − budget hours, 0 when within budget): the early warning ahead of a write-off, alerted on per active project.
-- Parameters: org, to, now, tz, org_workdays, group_by, interval, from, client, project.
--   The forecast of forecast_at_period_end (fragments/budget_periods.sql). Per project
--   greatest(0, forecast − budget hours); null without an hour budget or a forecast. A
--   group sums its projects' overages (a project under budget does not offset another
--   one's overrun).
-- Columns: period Date (bucket of the as-of day), grp String, value Nullable(Decimal)
--   (overage hours), forecast_hours Nullable(Decimal), budget_hours Nullable(Decimal),
--   method String ('allocations', 'burn_rate', '' or 'mixed'), over_projects UInt64
--   (projects forecast over budget), projects UInt64.
WITH {{budget_periods}}
SELECT multiIf({interval:String} = 'day', asof, {interval:String} = 'week', toMonday(asof),
        {interval:String} = 'month', toStartOfMonth(asof), {from:Date}) AS period,
    multiIf({group_by:String} = 'project', project_id, {group_by:String} = 'client', client_id, '') AS grp,
    sum(if(isNull(forecast_h) OR isNull(budget_h), NULL, greatest(forecast_h - budget_h, toDecimal128(0, 10)))) AS value,
    sum(forecast_h) AS forecast_hours, sum(budget_h) AS budget_hours,
    if(uniqExact(f_method) = 1, any(f_method), 'mixed') AS method,
    countIf(forecast_h > budget_h) AS over_projects, count() AS projects
FROM budget_periods
GROUP BY period, grp
ORDER BY period, grp
