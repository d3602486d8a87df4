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
WITH {{utilization}}
SELECT period, grp, if(available = 0, NULL, toFloat64(billable) / toFloat64(available)) AS value,
    billable AS billable_hours, available AS available_hours, target_hours,
    if(available = 0, NULL, toFloat64(target_hours) / toFloat64(available)) AS target,
    value - target AS utilization_gap
FROM utilization_parts
ORDER BY period, grp
