-- rates: the org's people (effective-dated role, team and rates), roles
-- (effective-dated rates) and projects, for the fragments that resolve a bill
-- or cost rate, a role or a team for a date (spec kpis.md §2, §4, §6).
-- Needs: org.
-- Columns: entry_people (person_id, valid_from, role, team, cost_rate,
--   bill_rate), entry_roles (role, valid_from, bill_rate, cost_rate),
--   billing_projects (project_id, client_id, kind, bill_rate, budget_amount,
--   retainer_fee_monthly, retainer_hours_monthly, start_date, end_date).
entry_people AS
(
    SELECT external_id AS person_id, valid_from, role, team, cost_rate, bill_rate
    FROM ops.people FINAL
    WHERE org_id = {org:String}
),
entry_roles AS
(
    SELECT role, valid_from, bill_rate, cost_rate
    FROM ops.roles FINAL
    WHERE org_id = {org:String}
),
billing_projects AS
(
    SELECT external_id AS project_id, client_id, kind, bill_rate, budget_amount, retainer_fee_monthly,
        retainer_hours_monthly, start_date, end_date
    FROM ops.projects FINAL
    WHERE org_id = {org:String}
)
