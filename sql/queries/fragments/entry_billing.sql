-- entry_billing: what each entry of `entries` was billed for and what of it
-- was written off on its own or on the invoice (spec kpis.md §4, §6), for the
-- write-off, realization and margin KPIs. Put it after the entries fragment
-- in the WITH list: it reuses entry_projects, entry_people and entry_roles.
--   The entry's billing_status says whether it is billed; an invoice line that
--   lists it (time_entry_ids) says for how much. A line's amount is shared among
--   the billable, billed entries it lists in proportion to their standard
--   value, whatever their dates and the filters, so a line that bills 900 for
--   1,000 of work writes 10% off each of its entries, on the dates of the work.
--   A billed entry that no line lists is billed at its billed_amount on a T&M
--   project; on a retainer or fixed-fee project (the client pays the fee, not
--   the entry) and when no bill rate resolves, at its standard value.
-- Needs: org, from, to, group_by, interval, person, role, team, client, project.
-- Columns of entry_values: those of entries but deliverable_id, tags and task;
--   kind (the project's kind, '' without a project); tm (1 for work billed by
--   the hour: a project that is not retainer, fixed_fee or internal, or none);
--   listed (1 when an invoice line lists the entry); billed_value (of a billed
--   billable entry, else 0); invoice_diff (standard_value − billed_value of a
--   billed entry: > 0 written off on the invoice, < 0 written up); written_off
--   (billable and written off); write_off (money: the whole standard value of
--   a written-off entry (way a), else the positive invoice_diff (way c));
--   write_off_hours (the entry's hours, or invoice_diff ÷ bill rate); write_up
--   (the negative invoice_diff, as a positive amount).
-- Also for the write_offs and adjustments fragments: billing_projects,
--   line_entries, adjustment_rows (write_off and write_up adjustments, with
--   an unknown or empty reason as 'other').
billing_projects AS
(
    SELECT external_id AS project_id, client_id, kind, bill_rate, budget_amount, retainer_fee_monthly,
        retainer_hours_monthly, start_date, end_date
    FROM ops.projects FINAL
    WHERE org_id = {org:String}
),
line_entries AS
(
    SELECT external_id AS line_id, amount, arrayJoin(arrayDistinct(time_entry_ids)) AS entry_id
    FROM ops.invoice_lines FINAL
    WHERE org_id = {org:String} AND notEmpty(time_entry_ids)
),
adjustment_rows AS
(
    SELECT external_id, kind, client_id, project_id, person_id, time_entry_id, date, hours, amount,
        if(reason IN ('over_service', 'goodwill', 'internal_error', 'estimate_overrun'), toString(reason), 'other') AS reason
    FROM ops.adjustments FINAL
    WHERE org_id = {org:String} AND kind IN ('write_off', 'write_up')
),
-- Each listed entry's line, with what resolves its bill rate as in
-- entries.sql: the entry's, the project's, the person's, the role's in force
-- on the date.
line_listed AS
(
    SELECT l.line_id AS line_id, l.amount AS amount, te.external_id AS entry_id, te.date AS date, te.hours AS hours,
        te.person_id AS person_id, te.bill_rate AS entry_bill_rate, p.bill_rate AS project_bill_rate
    FROM ops.time_entries AS te FINAL
    INNER JOIN line_entries AS l ON l.entry_id = te.external_id
    LEFT JOIN entry_projects AS p ON te.project_id = p.project_id
    WHERE te.org_id = {org:String} AND te.billable = 1 AND te.billing_status = 'billed'
),
line_listed_people AS
(
    SELECT l.*, ep.role AS role, ep.bill_rate AS person_bill_rate
    FROM line_listed AS l
    ASOF LEFT JOIN entry_people AS ep ON l.person_id = ep.person_id AND l.date >= ep.valid_from
),
-- Per listed entry, Σ over its lines of amount ÷ the line's standard value:
-- its billed value is its standard value times that. Decimal256 keeps the
-- shares exact enough that a line's shares add up to its amount.
line_factors AS
(
    SELECT entry_id, 1 AS listed,
        sum(if(line_value > 0, toDecimal256(amount, 30) / toDecimal256(line_value, 10), toDecimal256(0, 30))) AS factor
    FROM
    (
        SELECT l.entry_id AS entry_id, l.amount AS amount,
            sum(toDecimal128(toDecimal128(l.hours, 10) * toDecimal128(ifNull(coalesce(l.entry_bill_rate, l.project_bill_rate,
                l.person_bill_rate, r.bill_rate), 0), 10), 10)) OVER (PARTITION BY l.line_id) AS line_value
        FROM line_listed_people AS l
        ASOF LEFT JOIN entry_roles AS r ON l.role = r.role AND l.date >= r.valid_from
    )
    GROUP BY entry_id
    HAVING sum(line_value) > 0
),
-- In steps, so that the engine does not copy each alias's expression into
-- every later one that uses it.
entry_billed AS
(
    SELECT e.external_id AS external_id, e.person_id AS person_id, e.date AS date, e.hours AS hours,
        e.billable AS billable, e.billing_status AS billing_status, e.billed_amount AS billed_amount,
        e.invoice_id AS invoice_id, e.project_id AS project_id, e.client_id AS client_id, e.role AS role,
        e.team AS team, e.bill_rate AS bill_rate, e.cost_rate AS cost_rate, e.standard_value AS standard_value,
        e.period AS period, e.grp AS grp,
        bp.kind AS kind, bp.kind NOT IN ('retainer', 'fixed_fee', 'internal') AS tm, lf.listed AS listed,
        e.billable = 1 AND e.billing_status = 'written_off' AS written_off,
        multiIf(e.billable = 0 OR e.billing_status != 'billed', toDecimal128(0, 10),
            lf.listed = 1, toDecimal128(toDecimal256(e.standard_value, 10) * lf.factor, 10),
            bp.kind NOT IN ('retainer', 'fixed_fee', 'internal') AND e.billed_amount IS NOT NULL AND e.bill_rate IS NOT NULL,
            toDecimal128(assumeNotNull(e.billed_amount), 10),
            e.standard_value) AS billed_value
    FROM entries AS e
    LEFT JOIN billing_projects AS bp ON bp.project_id = e.project_id
    LEFT JOIN line_factors AS lf ON lf.entry_id = e.external_id
),
entry_diffs AS
(
    SELECT *, if(billable = 1 AND billing_status = 'billed', standard_value - billed_value, toDecimal128(0, 10)) AS invoice_diff
    FROM entry_billed
),
entry_values AS
(
    SELECT *, if(written_off, standard_value, greatest(invoice_diff, toDecimal128(0, 10))) AS write_off,
        multiIf(written_off, toDecimal128(hours, 10),
            invoice_diff > 0 AND ifNull(bill_rate, 0) > 0, toDecimal128(invoice_diff / toDecimal128(assumeNotNull(bill_rate), 10), 10),
            toDecimal128(0, 10)) AS write_off_hours,
        greatest(-invoice_diff, toDecimal128(0, 10)) AS write_up
    FROM entry_diffs
)
