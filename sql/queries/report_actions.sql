-- report_actions: an org's actions and decisions from its reports and retros,
-- open first, then by due date.
-- Parameters: org String.
-- Columns: action_id, client_id, origin String, period Date, kind, title,
--   owner String, due Date, status, created_by String, created_at DateTime64(3),
--   closed_by String, closed_at Nullable(DateTime64(3)).
SELECT action_id, client_id, toString(origin) AS origin, period, toString(kind) AS kind, title, owner, due,
    toString(status) AS status, created_by, created_at, closed_by, closed_at
FROM ops.report_actions FINAL
WHERE org_id = {org:String}
ORDER BY status = 'closed', due, created_at, action_id
