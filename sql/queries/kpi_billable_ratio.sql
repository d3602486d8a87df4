-- kpi: billable_ratio
-- title: Billable ratio
-- unit: ratio
-- group_by: person, role, team, client, project
-- filters: person, role, team, client, project
-- version: 1
-- description: Billable hours ÷ logged hours: the efficiency variant, which Productive calls "billable utilization". It ignores capacity.
-- Parameters: org, from, to, group_by, interval, person, role, team, client, project.
-- Columns: period Date, grp String, value Nullable(Float64), billable_hours, logged_hours.
WITH {{entries}}
SELECT period, grp,
    if(sum(hours) = 0, NULL, toFloat64(sumIf(toDecimal128(hours, 10), billable = 1)) / toFloat64(sum(toDecimal128(hours, 10)))) AS value,
    sumIf(toDecimal128(hours, 10), billable = 1) AS billable_hours, sum(toDecimal128(hours, 10)) AS logged_hours
FROM entries
GROUP BY period, grp
ORDER BY period, grp
