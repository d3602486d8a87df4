-- kpi: billable_utilization
-- title: Billable utilization
-- unit: ratio
-- group_by: person, role, team
-- filters: person, role, team
-- version: 1
-- description: Billable hours ÷ available hours (contracted hours − time off − holidays). The primary KPI; target_hours and utilization_gap compare it with the effective-dated target.
-- Parameters: org, from, to, group_by, interval, person, role, team.
-- Columns: period Date, grp String, value Nullable(Float64), billable_hours, available_hours,
--   target_hours (Decimal hours), target Nullable(Float64), utilization_gap Nullable(Float64).
WITH {{person_days}}, {{entries}},
parts AS
(
    SELECT period, grp, sum(if(billable = 1, toDecimal128(hours, 10), toDecimal128(0, 10))) AS b,
        toDecimal128(0, 10) AS a, toDecimal128(0, 10) AS t
    FROM entries GROUP BY period, grp
    UNION ALL
    SELECT period, grp, toDecimal128(0, 10), sum(available), sum(available * target)
    FROM person_days GROUP BY period, grp
)
SELECT period, grp, if(sum(a) = 0, NULL, toFloat64(sum(b)) / toFloat64(sum(a))) AS value,
    sum(b) AS billable_hours, sum(a) AS available_hours, sum(t) AS target_hours,
    if(sum(a) = 0, NULL, toFloat64(sum(t)) / toFloat64(sum(a))) AS target,
    value - target AS utilization_gap
FROM parts
GROUP BY period, grp
ORDER BY period, grp
