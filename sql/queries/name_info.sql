-- name_info: the display names of an org's clients and projects, which the
-- collector exports in opsmetrics_name_info for alert texts.
-- Parameters: org {org:String}.
-- Columns: kind String (client, project), id String, name String.
SELECT 'client' AS kind, external_id AS id, name FROM ops.clients FINAL WHERE org_id = {org:String} AND name != ''
UNION ALL
SELECT 'project', external_id, name FROM ops.projects FINAL WHERE org_id = {org:String} AND name != ''
