-- hook_mappings: an org's overrides of one tool's mapping (ingest/hook
-- Mappings), oldest key first within each kind.
-- Parameters: org {org:String}, tool {tool:String}.
-- Columns: kind String (phase, outcome or target), key String, value String,
--   client_id String, project_id String.
SELECT toString(kind), key, value, client_id, project_id
FROM ops.hook_mappings FINAL
WHERE org_id = {org:String} AND tool = {tool:String} AND deleted = 0
ORDER BY kind, key
