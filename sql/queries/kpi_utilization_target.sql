-- kpi: utilization_target
-- title: Utilization target
-- unit: ratio
-- group_by: person, role, team
-- filters: person, role, team
-- version: 1
-- description: The effective-dated billable-utilization target (per role, overridable per person), weighted by available hours, with target_hours = available × target and the gap to actual billable utilization.
-- Parameters: org, from, to, group_by, interval, person, role, team.
-- Columns: period Date, grp String, value Nullable(Float64) (target), target_hours, available_hours,
--   billable_hours, utilization_gap Nullable(Float64).
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
SELECT period, grp, if(sum(a) = 0, NULL, toFloat64(sum(t)) / toFloat64(sum(a))) AS value,
    sum(t) AS target_hours, sum(a) AS available_hours, sum(b) AS billable_hours,
    if(sum(a) = 0, NULL, toFloat64(sum(b)) / toFloat64(sum(a))) - value AS utilization_gap
FROM parts
GROUP BY period, grp
ORDER BY period, grp
