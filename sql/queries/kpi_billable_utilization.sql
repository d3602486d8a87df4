-- kpi: billable_utilization
-- title: Billable utilization
-- unit: ratio
-- group_by: person, role, team
-- filters: person, role, team
-- version: 2
-- description: Billable hours ÷ available hours (contracted hours − time off − holidays). The primary KPI; target and utilization_gap compare it with the effective-dated target, over the hours that have one.
-- Parameters: org, from, to, group_by, interval, person, role, team.
-- Columns: period Date, grp String, value Nullable(Float64), billable_hours, available_hours,
--   target_hours (Decimal hours: available × target, over the hours that have a target),
--   target Nullable(Float64) (target_hours ÷ the available hours that have a target; null when
--   none has: an unset target is not a target of 0), utilization_gap Nullable(Float64) (value −
--   target), assumed_hours (available hours of people whose capacity is assumed: flag
--   capacity_assumed), untargeted_hours (available hours with no target: flag target_unset).
WITH {{utilization}}
SELECT period, grp, if(available = 0, NULL, toFloat64(billable) / toFloat64(available)) AS value,
    billable AS billable_hours, available AS available_hours, target_hours,
    if(targeted = 0, NULL, toFloat64(target_hours) / toFloat64(targeted)) AS target,
    value - target AS utilization_gap, assumed AS assumed_hours, available - targeted AS untargeted_hours
FROM utilization_parts
ORDER BY period, grp
