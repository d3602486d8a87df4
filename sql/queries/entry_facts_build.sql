-- entry_facts_build: writes one org's entry facts under a build id
-- (metrics/facts.go; the table is described in sql/schema/0002_entry_facts.sql).
-- Parameters: org {org:String}, build id {facts:String}.
INSERT INTO ops.entry_facts (org_id, build_id, external_id, person_id, date, hours, billable, billing_status,
    billed_amount, invoice_id, deliverable_id, tags, task, project_id, client_id, role, team, bill_rate, cost_rate,
    standard_value, kind, listed, billed_value, retainer_excess_hours)
WITH {{rates}}, {{entry_resolve}}
SELECT {org:String}, {facts:String}, external_id, person_id, date, hours, billable, billing_status, billed_amount,
    invoice_id, deliverable_id, tags, task, project_id, client_id, role, team, bill_rate, cost_rate, standard_value,
    kind, listed, billed_value, retainer_excess_hours
FROM resolved_entries
