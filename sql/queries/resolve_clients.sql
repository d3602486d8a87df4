-- resolve_clients: the clients of one org, for matching by name.
-- Parameters: org {org:String}.
-- Columns: external_id String, name String.
SELECT external_id, name
FROM ops.clients FINAL
WHERE org_id = {org:String}
ORDER BY external_id
