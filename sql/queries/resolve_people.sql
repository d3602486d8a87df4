-- resolve_people: the people of one org, for matching time exports to people
-- by id, email or name. One row per person (its latest version).
-- Parameters: org {org:String}.
-- Columns: external_id String, email String, name String.
SELECT external_id, argMax(email, valid_from) AS email, argMax(name, valid_from) AS name
FROM ops.people FINAL
WHERE org_id = {org:String}
GROUP BY external_id
ORDER BY external_id
