-- settings_people: every version of an org's people as stored (merged from
-- their sources, ingest.MergePerson), for the settings' People section.
-- Parameters: org String.
-- Columns: person_id String, source String, valid_from Date, name String,
--   email String, role String, team String, weekly_capacity_hours Decimal,
--   cost_rate Nullable(Decimal), bill_rate Nullable(Decimal),
--   utilization_target Nullable(Decimal), start_date Nullable(Date),
--   end_date Nullable(Date).
SELECT external_id AS person_id, toString(source) AS source, valid_from, name, email, toString(role) AS role,
    toString(team) AS team, weekly_capacity_hours, cost_rate, bill_rate, utilization_target, start_date, end_date
FROM ops.people FINAL
WHERE org_id = {org:String}
ORDER BY lower(name), person_id, valid_from
