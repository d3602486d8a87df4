-- kpi: total_utilization
-- title: Total utilization
-- unit: ratio
-- group_by: person, role, team
-- filters: person, role, team
-- version: 1
-- description: All logged hours (billable or not) ÷ available hours.
-- Parameters: org, from, to, group_by, interval, person, role, team.
-- Columns: period Date, grp String, value Nullable(Float64), logged_hours, available_hours.
WITH {{person_days}}, {{entries}},
parts AS
(
    SELECT period, grp, sum(toDecimal128(hours, 10)) AS l, toDecimal128(0, 10) AS a FROM entries GROUP BY period, grp
    UNION ALL
    SELECT period, grp, toDecimal128(0, 10), sum(available) FROM person_days GROUP BY period, grp
)
SELECT period, grp, if(sum(a) = 0, NULL, toFloat64(sum(l)) / toFloat64(sum(a))) AS value,
    sum(l) AS logged_hours, sum(a) AS available_hours
FROM parts
GROUP BY period, grp
ORDER BY period, grp
