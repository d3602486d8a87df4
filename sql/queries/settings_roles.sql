-- settings_roles: every version of an org's role rates (ops.roles), for the
-- settings' People section.
-- Parameters: org String.
-- Columns: role String, valid_from Date, bill_rate Nullable(Decimal),
--   cost_rate Nullable(Decimal), utilization_target Nullable(Decimal).
SELECT role, valid_from, bill_rate, cost_rate, utilization_target
FROM ops.roles FINAL
WHERE org_id = {org:String}
ORDER BY lower(role), valid_from
