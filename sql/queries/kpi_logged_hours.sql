-- kpi: logged_hours
-- title: Logged hours
-- unit: hours
-- group_by: person, role, team, client, project
-- filters: person, role, team, client, project
-- version: 1
-- description: All hours of time entries, billable and not.
-- Parameters: org, from, to, group_by, interval, person, role, team, client, project.
-- Columns: period Date, grp String, value (hours), billable_hours, non_billable_hours, entries UInt64.
WITH {{entry_days}}
SELECT period, grp, sum(hours) AS value,
    sum(if(billable = 1, hours, toDecimal128(0, 10))) AS billable_hours,
    value - billable_hours AS non_billable_hours, sum(entry_count) AS entries
FROM entry_days
GROUP BY period, grp
ORDER BY period, grp
