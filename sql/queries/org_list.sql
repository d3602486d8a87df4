-- org_list: every org, by id.
-- Parameters: none.
-- Columns: org_id String, name String.
SELECT org_id, name
FROM ops.orgs FINAL
ORDER BY org_id
