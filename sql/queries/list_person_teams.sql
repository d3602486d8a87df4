-- list_person_teams: each person's team at the end of a range (the
-- latest version that starts before it), so the utilization page can link a
-- person to the team filter: people are not a filter of the pages.
-- Parameters: org String, to Date.
-- Columns: person_id String, team String ('' for none).
SELECT external_id AS person_id, toString(argMax(team, valid_from)) AS team
FROM ops.people FINAL
WHERE org_id = {org:String} AND valid_from < {to:Date}
GROUP BY external_id
ORDER BY person_id
