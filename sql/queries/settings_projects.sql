-- settings_projects: an org's projects as stored, for the settings' Clients
-- and projects section.
-- Parameters: org String.
-- Columns: project_id String, source String, name String, client_id String,
--   kind String, billable_default UInt8, bill_rate Nullable(Decimal),
--   budget_hours Nullable(Decimal), budget_amount Nullable(Decimal),
--   retainer_fee_monthly Nullable(Decimal), retainer_hours_monthly
--   Nullable(Decimal), start_date Nullable(Date), end_date Nullable(Date).
SELECT external_id AS project_id, toString(source) AS source, name, client_id, toString(kind) AS kind, billable_default,
    bill_rate, budget_hours, budget_amount, retainer_fee_monthly, retainer_hours_monthly, start_date, end_date
FROM ops.projects FINAL
WHERE org_id = {org:String}
ORDER BY lower(name), project_id
