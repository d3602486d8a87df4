-- kpi: contracted_hours
-- title: Contracted hours
-- unit: hours
-- group_by: person, role, team
-- filters: person, role, team
-- version: 1
-- description: Weekly capacity ÷ workdays per week, on each of the person's workdays inside the employment window, with the capacity in force that day.
-- Parameters: org, from, to, group_by, interval, person, role, team.
-- Columns: period Date, grp String, value (contracted hours), person_days UInt64 (workdays counted),
--   assumed_hours (of the contracted hours, those of people whose capacity is assumed: flag capacity_assumed).
WITH {{person_days}}
SELECT period, grp, sum(contracted) AS value, countIf(contracted > 0) AS person_days,
    sum(if(assumed = 1, contracted, toDecimal128(0, 10))) AS assumed_hours
FROM person_days
GROUP BY period, grp
ORDER BY period, grp
