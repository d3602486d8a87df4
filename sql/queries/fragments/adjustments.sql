-- adjustments: explicit write-off and write-up adjustments (way b of spec
-- kpis.md §4), dated by the work, inside [from, to) and the filters, for
-- write_off_value and revenue. Put it after the entries and entry_billing
-- fragments.
--   An adjustment that names a time entry is dated by that entry, and its
--   person and project are its own, else the entry's; one that names none is
--   dated by its own date. It is worth its amount; one that gives only hours
--   is worth hours × the bill rate: the named entry's own, else the project's,
--   else the person's, else the role's in force on the date (0 when none
--   resolves). Its hours are the hours it gives, else amount ÷ that rate (0
--   without a rate). A write_off adjustment that names an entry which is
--   itself written off adds nothing: that entry's whole standard value is
--   counted once (way a), and the adjustment gives it its reason.
-- Needs: org, from, to, group_by, interval, person, role, team, client, project.
-- Columns of adjustment_values: reason, project_kind, tm, write_off (money),
--   write_off_hours, write_up (money, of write_up adjustments), person_id,
--   client_id, project_id, period, grp.
adjustment_dated AS
(
    SELECT a.external_id AS external_id, a.kind AS kind, a.reason AS reason, a.hours AS hours, a.amount AS amount,
        if(n.external_id != '', n.date, a.date) AS date,
        if(a.person_id != '', a.person_id, n.person_id) AS person_id,
        if(a.project_id != '', a.project_id, n.project_id) AS project_id,
        if(a.client_id != '', a.client_id, n.client_id) AS client_id, n.bill_rate AS entry_bill_rate,
        n.external_id != '' AND n.billable = 1 AND n.billing_status = 'written_off' AS entry_written_off
    FROM adjustment_rows AS a
    LEFT JOIN
    (
        SELECT external_id, person_id, date, billable, billing_status, project_id, client_id, bill_rate
        FROM ops.time_entries FINAL
        WHERE org_id = {org:String} AND external_id IN (SELECT time_entry_id FROM adjustment_rows)
    ) AS n ON n.external_id = a.time_entry_id
    WHERE date >= {from:Date} AND date < {to:Date}
),
adjustment_people AS
(
    SELECT a.*, if(a.client_id != '', a.client_id, p.client_id) AS resolved_client, p.bill_rate AS project_bill_rate,
        p.kind AS project_kind, ep.role AS role, ep.team AS team, ep.bill_rate AS person_bill_rate
    FROM adjustment_dated AS a
    LEFT JOIN billing_projects AS p ON a.project_id = p.project_id
    ASOF LEFT JOIN entry_people AS ep ON a.person_id = ep.person_id AND a.date >= ep.valid_from
    WHERE ({person:String} = '' OR a.person_id = {person:String})
      AND ({project:String} = '' OR a.project_id = {project:String})
      AND ({client:String} = '' OR resolved_client = {client:String})
      AND ({role:String} = '' OR ep.role = {role:String})
      AND ({team:String} = '' OR ep.team = {team:String})
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
adjustment_values AS
(
    SELECT reason, project_kind, project_kind NOT IN ('retainer', 'fixed_fee', 'internal') AS tm,
        if(kind = 'write_off' AND NOT entry_written_off, value, toDecimal128(0, 10)) AS write_off,
        if(kind = 'write_off' AND NOT entry_written_off,
            multiIf(hours IS NOT NULL, toDecimal128(assumeNotNull(hours), 10),
                ifNull(bill_rate, 0) > 0, toDecimal128(value / toDecimal128(assumeNotNull(bill_rate), 10), 10),
                toDecimal128(0, 10)),
            toDecimal128(0, 10)) AS write_off_hours,
        if(kind = 'write_up', value, toDecimal128(0, 10)) AS write_up,
        person_id, client_id, project_id,
        multiIf({interval:String} = 'day', date, {interval:String} = 'week', toMonday(date),
            {interval:String} = 'month', toStartOfMonth(date), {from:Date}) AS period,
        multiIf({group_by:String} = 'person', person_id, {group_by:String} = 'role', toString(role),
            {group_by:String} = 'team', toString(team), {group_by:String} = 'client', client_id,
            {group_by:String} = 'project', project_id, '') AS grp
    FROM adjustment_rated
)
