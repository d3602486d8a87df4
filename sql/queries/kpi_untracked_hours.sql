-- kpi: untracked_hours
-- title: Untracked hours
-- unit: hours
-- group_by: person, role, team
-- filters: person, role, team
-- version: 1
-- description: Available hours with no time logged against them: max(0, available − logged) per person-day, summed. The timesheet-completeness signal.
-- Parameters: org, from, to, group_by, interval, person, role, team, client, project.
-- Columns: period Date, grp String, value (untracked hours), available_hours, logged_hours,
--   assumed_hours (of the available hours, those of people whose capacity is assumed: flag capacity_assumed).
WITH {{person_days}}, {{entry_days}},
logged_days AS
(
    SELECT person_id, date, sum(hours) AS logged
    FROM entry_days
    GROUP BY person_id, date
)
SELECT pd.period AS period, pd.grp AS grp,
    sum(greatest(pd.available - ld.logged, toDecimal128(0, 10))) AS value,
    sum(pd.available) AS available_hours, sum(ld.logged) AS logged_hours,
    sum(if(pd.assumed = 1, pd.available, toDecimal128(0, 10))) AS assumed_hours
FROM person_days AS pd
LEFT JOIN logged_days AS ld ON pd.person_id = ld.person_id AND pd.day = ld.date
GROUP BY period, grp
ORDER BY period, grp
