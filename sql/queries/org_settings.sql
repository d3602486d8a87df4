-- org_settings: one org's settings, if the org exists.
-- Parameters: org {org:String}.
-- Columns: name String, time_zone String, currency String.
SELECT name, time_zone, currency
FROM ops.orgs FINAL
WHERE org_id = {org:String}
