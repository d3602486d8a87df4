-- kpi: total_utilization
-- title: Total utilization
-- unit: ratio
-- group_by: person, role, team
-- filters: person, role, team
-- version: 1
-- description: All logged hours (billable or not) ÷ available hours.
-- Parameters: org, from, to, group_by, interval, person, role, team.
-- Columns: period Date, grp String, value Nullable(Float64), logged_hours, available_hours,
--   assumed_hours (available hours of people whose capacity is assumed: flag capacity_assumed).
WITH {{utilization}}
SELECT period, grp, if(available = 0, NULL, toFloat64(logged) / toFloat64(available)) AS value,
    logged AS logged_hours, available AS available_hours, assumed AS assumed_hours
FROM utilization_parts
ORDER BY period, grp
