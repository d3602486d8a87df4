-- kpi: onboarding_hours
-- title: Onboarding hours
-- unit: hours
-- group_by: client, project, person, role, team
-- filters: client, project, person, role, team
-- version: 1
-- description: Hours logged on onboarding work (entries tagged onboarding or with the task onboarding, in any letter case) during each client's first 60 days.
-- Parameters: org, from, to, group_by, interval, person, role, team, client, project.
--   A client's first day is the date of its first time entry ever (any project, any
--   person); its first 60 days are [first day, first day + 60). Entries dated in [from, to)
--   and in those days count (fragments/entries.sql gives them, with the entry's client,
--   else its project's). Onboarding work outside the first 60 days is not counted; entries
--   without a client are not counted.
-- Columns: period Date, grp String, value Decimal (hours), entries UInt64, clients UInt64,
--   first_day Date (the earliest first day of the group's clients).
WITH {{entries}},
onboard_projects AS
(
    SELECT external_id AS project_id, any(client_id) AS client_id
    FROM ops.projects FINAL
    WHERE org_id = {org:String}
    GROUP BY external_id
),
client_first AS
(
    SELECT if(te.client_id != '', te.client_id, p.client_id) AS client_id, min(te.date) AS first_day
    FROM ops.time_entries AS te FINAL
    LEFT JOIN onboard_projects AS p ON te.project_id = p.project_id
    WHERE te.org_id = {org:String}
    GROUP BY client_id
    HAVING client_id != ''
)
SELECT e.period AS period, e.grp AS grp, sum(toDecimal128(e.hours, 10)) AS value, count() AS entries,
    uniqExact(e.client_id) AS clients, min(c.first_day) AS first_day
FROM entries AS e
INNER JOIN client_first AS c ON e.client_id = c.client_id
WHERE e.date < c.first_day + 60
  AND (arrayExists(x -> lower(trimBoth(x)) = 'onboarding', e.tags) OR lower(trimBoth(e.task)) = 'onboarding')
GROUP BY period, grp
ORDER BY period, grp
