-- adjustment_resolve: the org's explicit write-off and write-up adjustments
-- (way b of spec kpis.md §4), resolved for any date. Only
-- adjustment_facts_build.sql reads it: the KPIs read the stored result
-- (ops.adjustment_facts, through the adjustments fragment). Put it after the
-- rates fragment.
--   An adjustment that names a time entry is dated by that entry, and its
--   person and project are its own, else the entry's; one that names none is
--   dated by its own date. It is worth its amount; one that gives only hours
--   is worth hours × the bill rate: the named entry's own, else the project's,
--   else the person's, else the role's in force on the date (0 when none
--   resolves). Its hours are the hours it gives, else amount ÷ that rate (0
--   without a rate). A write_off adjustment that names an entry which is
--   itself written off adds nothing: that entry's whole standard value is
--   counted once (way a), and the adjustment gives it its reason.
-- Needs: org.
-- Columns of resolved_adjustments: those of ops.adjustment_facts but org_id
--   and build_id.
adjustment_source AS
(
    SELECT external_id, kind, client_id, project_id, person_id, time_entry_id, date, hours, amount,
        if(reason IN ('over_service', 'goodwill', 'internal_error', 'estimate_overrun'), toString(reason), 'other') AS reason
    FROM ops.adjustments FINAL
    WHERE org_id = {org:String} AND kind IN ('write_off', 'write_up')
),
adjustment_dated AS
(
    SELECT a.external_id AS external_id, a.kind AS kind, a.reason AS reason, a.hours AS hours, a.amount AS amount,
        if(n.external_id != '', n.date, a.date) AS date,
        if(a.person_id != '', a.person_id, n.person_id) AS person_id,
        if(a.project_id != '', a.project_id, n.project_id) AS project_id,
        if(a.client_id != '', a.client_id, n.client_id) AS client_id, n.bill_rate AS entry_bill_rate,
        n.external_id != '' AND n.billable = 1 AND n.billing_status = 'written_off' AS entry_written_off
    FROM adjustment_source AS a
    LEFT JOIN
    (
        SELECT external_id, person_id, date, billable, billing_status, project_id, client_id, bill_rate
        FROM ops.time_entries FINAL
        WHERE org_id = {org:String} AND external_id IN (SELECT time_entry_id FROM adjustment_source)
    ) AS n ON n.external_id = a.time_entry_id
),
adjustment_people AS
(
    SELECT a.*, if(a.client_id != '', a.client_id, p.client_id) AS resolved_client, p.bill_rate AS project_bill_rate,
        p.kind AS project_kind, ep.role AS role, ep.team AS team, ep.bill_rate AS person_bill_rate
    FROM adjustment_dated AS a
    LEFT JOIN billing_projects AS p ON a.project_id = p.project_id
    ASOF LEFT JOIN entry_people AS ep ON a.person_id = ep.person_id AND a.date >= ep.valid_from
),
adjustment_rated AS
(
    SELECT a.external_id AS external_id, a.kind AS kind, a.reason AS reason, a.hours AS hours, a.date AS date,
        a.person_id AS person_id, a.project_id AS project_id, a.resolved_client AS client_id, a.role AS role,
        a.team AS team, a.project_kind AS project_kind, a.entry_written_off AS entry_written_off,
        coalesce(a.entry_bill_rate, a.project_bill_rate, a.person_bill_rate, r.bill_rate) AS bill_rate,
        if(a.amount IS NOT NULL, toDecimal128(assumeNotNull(a.amount), 10),
            toDecimal128(toDecimal128(ifNull(a.hours, 0), 10) * toDecimal128(ifNull(bill_rate, 0), 10), 10)) AS value
    FROM adjustment_people AS a
    ASOF LEFT JOIN entry_roles AS r ON a.role = r.role AND a.date >= r.valid_from
),
resolved_adjustments AS
(
    SELECT external_id, kind, reason, date, person_id, project_id, client_id, role, team, project_kind,
        if(kind = 'write_off' AND NOT entry_written_off, value, toDecimal128(0, 10)) AS write_off,
        if(kind = 'write_off' AND NOT entry_written_off,
            multiIf(hours IS NOT NULL, toDecimal128(assumeNotNull(hours), 10),
                ifNull(bill_rate, 0) > 0, toDecimal128(value / toDecimal128(assumeNotNull(bill_rate), 10), 10),
                toDecimal128(0, 10)),
            toDecimal128(0, 10)) AS write_off_hours,
        if(kind = 'write_up', value, toDecimal128(0, 10)) AS write_up
    FROM adjustment_rated
)
