-- kpi: unbilled_wip
-- title: Unbilled work in progress
-- unit: money
-- group_by: client, project, person
-- filters: person, role, team, client, project
-- version: 1
-- description: Standard value of billable entries dated in the range that are neither billed nor written off.
-- Parameters: org, from, to, group_by, interval, person, role, team, client, project.
-- Columns: period Date, grp String, value (Decimal money), unbilled_hours, tm_value (the part
--   on work billed by the hour: not on a retainer, fixed_fee or internal project; retainer
--   and fixed-fee work is paid by its fee), entry_count.
WITH {{entry_days}},
wip_projects AS
(
    SELECT external_id AS project_id, any(kind) AS kind
    FROM ops.projects FINAL
    WHERE org_id = {org:String}
    GROUP BY external_id
)
SELECT e.period AS period, e.grp AS grp, sum(e.standard_value) AS value,
    sum(e.hours) AS unbilled_hours,
    sumIf(e.standard_value, p.kind NOT IN ('retainer', 'fixed_fee', 'internal')) AS tm_value, sum(e.entry_count) AS entry_count
FROM entry_days AS e
LEFT JOIN wip_projects AS p ON p.project_id = e.project_id
WHERE e.billable = 1 AND e.billing_status NOT IN ('billed', 'written_off')
GROUP BY period, grp
ORDER BY period, grp
