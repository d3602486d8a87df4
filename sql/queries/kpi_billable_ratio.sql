-- kpi: billable_ratio
-- title: Billable ratio
-- unit: ratio
-- group_by: person, role, team, client, project
-- filters: person, role, team, client, project
-- version: 1
-- description: Billable hours ÷ logged hours: the efficiency variant, which Productive calls "billable utilization". It ignores capacity.
-- Parameters: org, from, to, group_by, interval, person, role, team, client, project.
-- Columns: period Date, grp String, value Nullable(Float64), billable_hours, logged_hours.
WITH {{entry_days}}
SELECT period, grp,
    if(sum(hours) = 0, NULL, toFloat64(sumIf(hours, billable = 1)) / toFloat64(sum(hours))) AS value,
    sumIf(hours, billable = 1) AS billable_hours, sum(hours) AS logged_hours
FROM entry_days
GROUP BY period, grp
ORDER BY period, grp
