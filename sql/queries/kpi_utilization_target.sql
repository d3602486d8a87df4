-- kpi: utilization_target
-- title: Utilization target
-- unit: ratio
-- group_by: person, role, team
-- filters: person, role, team
-- version: 2
-- description: The effective-dated billable-utilization target (per role, overridable per person), weighted by the available hours that have one (null when none has), with target_hours = those hours × target and the gap to actual billable utilization.
-- Parameters: org, from, to, group_by, interval, person, role, team.
-- Columns: period Date, grp String, value Nullable(Float64) (target), target_hours, available_hours,
--   billable_hours, utilization_gap Nullable(Float64), assumed_hours (flag capacity_assumed),
--   untargeted_hours (available hours with no target: flag target_unset).
WITH {{utilization}}
SELECT period, grp, if(targeted = 0, NULL, toFloat64(target_hours) / toFloat64(targeted)) AS value,
    target_hours, available AS available_hours, billable AS billable_hours,
    if(available = 0, NULL, toFloat64(billable) / toFloat64(available)) - value AS utilization_gap,
    assumed AS assumed_hours, available - targeted AS untargeted_hours
FROM utilization_parts
ORDER BY period, grp
