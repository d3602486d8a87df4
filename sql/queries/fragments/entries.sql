-- entries: the org's deduplicated time entries dated in [from, to) that pass
-- the filters, with what the KPIs need resolved for the entry's date (spec
-- kpis.md §2, §4, §6):
--   bill_rate: the entry's own, else the project's, else the person's, else the
--     role's in force on the date; standard_value = hours × bill_rate when billable;
--   cost_rate: the entry's own, else the person's in force, else the role's;
--   role and team: the person's on the entry date; client: the entry's, else its project's.
-- Needs: org, from, to, group_by, interval, person, role, team, client, project.
-- Columns of entries: external_id, person_id, date, hours, billable, billing_status,
--   billed_amount, invoice_id, deliverable_id, tags, task, project_id, client_id, role,
--   team, bill_rate, cost_rate, standard_value, period, grp.
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
entry_projects AS
(
    SELECT external_id AS project_id, client_id, bill_rate
    FROM ops.projects FINAL
    WHERE org_id = {org:String}
),
entries_raw AS
(
    SELECT te.external_id AS external_id, te.person_id AS person_id, te.date AS date, te.hours AS hours,
        te.billable AS billable, te.billing_status AS billing_status, te.billed_amount AS billed_amount,
        te.invoice_id AS invoice_id, te.deliverable_id AS deliverable_id, te.tags AS tags, te.task AS task,
        te.project_id AS project_id, if(te.client_id != '', te.client_id, p.client_id) AS client_id,
        te.bill_rate AS entry_bill_rate, p.bill_rate AS project_bill_rate, te.cost_rate AS entry_cost_rate
    FROM ops.time_entries AS te FINAL
    LEFT JOIN entry_projects AS p ON te.project_id = p.project_id
    WHERE te.org_id = {org:String} AND te.date >= {from:Date} AND te.date < {to:Date}
      AND ({person:String} = '' OR te.person_id = {person:String})
      AND ({project:String} = '' OR te.project_id = {project:String})
),
entries_people AS
(
    SELECT e.*, ep.role AS role, ep.team AS team, ep.bill_rate AS person_bill_rate, ep.cost_rate AS person_cost_rate
    FROM entries_raw AS e
    ASOF LEFT JOIN entry_people AS ep ON e.person_id = ep.person_id AND e.date >= ep.valid_from
    WHERE ({client:String} = '' OR e.client_id = {client:String})
      AND ({role:String} = '' OR ep.role = {role:String})
      AND ({team:String} = '' OR ep.team = {team:String})
),
entries AS
(
    SELECT e.external_id AS external_id, e.person_id AS person_id, e.date AS date, e.hours AS hours,
        e.billable AS billable, e.billing_status AS billing_status, e.billed_amount AS billed_amount,
        e.invoice_id AS invoice_id, e.deliverable_id AS deliverable_id, e.tags AS tags, e.task AS task,
        e.project_id AS project_id, e.client_id AS client_id, e.role AS role, e.team AS team,
        coalesce(e.entry_bill_rate, e.project_bill_rate, e.person_bill_rate, r.bill_rate) AS bill_rate,
        coalesce(e.entry_cost_rate, e.person_cost_rate, r.cost_rate) AS cost_rate,
        if(e.billable = 1, toDecimal128(toDecimal128(e.hours, 10) * toDecimal128(ifNull(bill_rate, 0), 10), 10), toDecimal128(0, 10)) AS standard_value,
        multiIf({interval:String} = 'day', e.date, {interval:String} = 'week', toMonday(e.date),
            {interval:String} = 'month', toStartOfMonth(e.date), {from:Date}) AS period,
        multiIf({group_by:String} = 'person', e.person_id, {group_by:String} = 'role', toString(e.role),
            {group_by:String} = 'team', toString(e.team), {group_by:String} = 'client', e.client_id,
            {group_by:String} = 'project', e.project_id, '') AS grp
    FROM entries_people AS e
    ASOF LEFT JOIN entry_roles AS r ON e.role = r.role AND e.date >= r.valid_from
)
