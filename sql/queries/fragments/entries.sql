-- entries: the org's time entries dated in [from, to) that pass the filters,
-- read from the org's entry facts (ops.entry_facts: rates, role, team,
-- client and billed value resolved once per build, see
-- fragments/entry_resolve.sql), with the request's period and group.
-- Needs: org, facts (the build metrics/facts.go made current), from, to,
--   group_by, interval, person, role, team, client, project.
-- Columns of entries: external_id, person_id, date, hours, billable,
--   billing_status, billed_amount, invoice_id, deliverable_id, tags, task,
--   project_id, client_id, role, team, bill_rate, cost_rate, standard_value,
--   kind, listed, billed_value, retainer_excess_hours, period, grp.
entries AS
(
    SELECT external_id, person_id, date, hours, billable, billing_status, billed_amount, invoice_id, deliverable_id,
        tags, task, project_id, client_id, role, team, bill_rate, cost_rate, standard_value, kind, listed, billed_value,
        retainer_excess_hours,
        {{fact_period_group}}
    FROM ops.entry_facts FINAL
    WHERE org_id = {org:String} AND build_id = {facts:String} AND date >= {from:Date} AND date < {to:Date}
      AND {{fact_filters}}
)
