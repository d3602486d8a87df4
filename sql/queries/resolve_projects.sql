-- resolve_projects: the projects of one org, for matching by client and name.
-- Parameters: org {org:String}.
-- Columns: external_id String, client_id String, name String.
SELECT external_id, client_id, name
FROM ops.projects FINAL
WHERE org_id = {org:String}
ORDER BY external_id
