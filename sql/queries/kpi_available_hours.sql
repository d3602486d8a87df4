-- kpi: available_hours
-- title: Available hours
-- unit: hours
-- group_by: person, role, team
-- filters: person, role, team
-- version: 1
-- description: Contracted hours minus time off and holidays, floored at 0 per person-day: the hours people can work.
-- Parameters: org, from, to, group_by, interval, person, role, team.
-- Columns: period Date, grp String, value (available hours), contracted_hours, time_off_hours, holiday_hours,
--   assumed_hours (of the available hours, those of people whose capacity is assumed: flag capacity_assumed).
WITH {{person_days}}
SELECT period, grp, sum(available) AS value, sum(contracted) AS contracted_hours,
    sum(least(time_off, contracted)) AS time_off_hours, sum(holiday) AS holiday_hours,
    sum(if(assumed = 1, available, toDecimal128(0, 10))) AS assumed_hours
FROM person_days
GROUP BY period, grp
ORDER BY period, grp
