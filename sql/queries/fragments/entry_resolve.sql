-- entry_resolve: every deduplicated time entry of the org, of any date, with
-- what the KPIs need resolved for the entry's date (spec kpis.md §2, §4, §6).
-- Only entry_facts_build.sql reads it: the KPIs read the stored result
-- (ops.entry_facts, through the entries fragment, or its daily rollup
-- ops.entry_days, through the entry_days fragment). Put it after the rates fragment.
--   bill_rate: the entry's own, else the project's, else the person's, else the
--     role's in force on the date; standard_value = hours × bill_rate when billable;
--   cost_rate: the entry's own, else the person's in force, else the role's; an
--     entry's cost rate of 0 is none (exports write 0 where none was set, and it
--     must not hide the person's);
--   role and team: the person's on the entry date; client: the entry's, else its project's;
--   kind: the project's kind ('' without a project);
--   listed and billed_value: an invoice line that lists the entry
--     (time_entry_ids) says what it was billed for. A line's amount is shared
--     among the billable, billed entries it lists in proportion to their
--     standard value, whatever their dates, so a line that bills 900 for
--     1,000 of work writes 10% off each of its entries, on the dates of the
--     work. A billed entry that no line lists is billed at its billed_amount on
--     a T&M project; on a retainer or fixed-fee project (the client pays the
--     fee, not the entry) and when no bill rate resolves, at its standard value;
--   retainer_excess_hours: see retainer_excess below.
-- Needs: org.
-- Columns of resolved_entries: those of ops.entry_facts but org_id and build_id.
entries_raw AS
(
    SELECT te.external_id AS external_id, te.person_id AS person_id, te.date AS date, te.hours AS hours,
        te.billable AS billable, te.billing_status AS billing_status, te.billed_amount AS billed_amount,
        te.invoice_id AS invoice_id, te.deliverable_id AS deliverable_id, te.tags AS tags, te.task AS task,
        te.project_id AS project_id, if(te.client_id != '', te.client_id, p.client_id) AS client_id,
        te.bill_rate AS entry_bill_rate, p.bill_rate AS project_bill_rate, te.cost_rate AS entry_cost_rate,
        p.kind AS kind
    FROM ops.time_entries AS te FINAL
    LEFT JOIN billing_projects AS p ON te.project_id = p.project_id
    WHERE te.org_id = {org:String}
),
entries_people AS
(
    SELECT e.*, ep.role AS role, ep.team AS team, ep.bill_rate AS person_bill_rate, ep.cost_rate AS person_cost_rate
    FROM entries_raw AS e
    ASOF LEFT JOIN entry_people AS ep ON e.person_id = ep.person_id AND e.date >= ep.valid_from
),
entries_rated AS
(
    SELECT e.external_id AS external_id, e.person_id AS person_id, e.date AS date, e.hours AS hours,
        e.billable AS billable, e.billing_status AS billing_status, e.billed_amount AS billed_amount,
        e.invoice_id AS invoice_id, e.deliverable_id AS deliverable_id, e.tags AS tags, e.task AS task,
        e.project_id AS project_id, e.client_id AS client_id, e.role AS role, e.team AS team, e.kind AS kind,
        coalesce(e.entry_bill_rate, e.project_bill_rate, e.person_bill_rate, r.bill_rate) AS bill_rate,
        coalesce(nullIf(e.entry_cost_rate, 0), e.person_cost_rate, r.cost_rate) AS cost_rate,
        if(e.billable = 1, toDecimal128(toDecimal128(e.hours, 10) * toDecimal128(ifNull(bill_rate, 0), 10), 10), toDecimal128(0, 10)) AS standard_value
    FROM entries_people AS e
    ASOF LEFT JOIN entry_roles AS r ON e.role = r.role AND e.date >= r.valid_from
),
line_entries AS
(
    SELECT external_id AS line_id, amount, arrayJoin(arrayDistinct(time_entry_ids)) AS entry_id
    FROM ops.invoice_lines FINAL
    WHERE org_id = {org:String} AND notEmpty(time_entry_ids)
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
            sum(e.standard_value) OVER (PARTITION BY l.line_id) AS line_value
        FROM line_entries AS l
        INNER JOIN entries_rated AS e ON e.external_id = l.entry_id
        WHERE e.billable = 1 AND e.billing_status = 'billed'
    )
    GROUP BY entry_id
    HAVING sum(line_value) > 0
),
-- Each entry's hours past its retainer's monthly contract (spec kpis.md §4),
-- in every month: the write_offs fragment counts them once the month has
-- closed. In each calendar month that a retainer is active in (start_date to
-- end_date, by month), the billable hours beyond retainer_hours_monthly are
-- over-service. Entries written off already and entries an invoice line
-- lists (billed as overage) do not count, and the hours of over_service
-- write_off adjustments on the project in the month raise the contracted
-- hours (they are over-service already), so nothing counts twice: they come
-- first in their month (is_entry 0) with their hours negated. The excess is
-- the last hours logged in the month: entries are taken by date (then id).
retainer_excess AS
(
    SELECT external_id, toDecimal128(least(greatest(cumulative - contracted, toDecimal128(0, 10)), hours), 10) AS excess_hours
    FROM
    (
        SELECT u.external_id AS external_id, u.is_entry AS is_entry, u.hours AS hours,
            toDecimal128(assumeNotNull(bp.retainer_hours_monthly), 10) AS contracted,
            sum(u.hours) OVER (PARTITION BY u.project_id, u.month ORDER BY u.is_entry, u.date, u.external_id
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cumulative
        FROM
        (
            SELECT e.external_id AS external_id, 1 AS is_entry, e.project_id AS project_id, e.date AS date,
                toStartOfMonth(e.date) AS month, toDecimal128(e.hours, 10) AS hours
            FROM entries_rated AS e
            WHERE e.kind = 'retainer' AND e.billable = 1 AND e.billing_status != 'written_off'
              AND e.external_id NOT IN (SELECT entry_id FROM line_entries)
            UNION ALL
            SELECT '', 0, project_id, date, toStartOfMonth(date), -toDecimal128(assumeNotNull(hours), 10)
            FROM ops.adjustments FINAL
            WHERE org_id = {org:String} AND kind = 'write_off' AND reason = 'over_service' AND hours IS NOT NULL
        ) AS u
        INNER JOIN billing_projects AS bp ON bp.project_id = u.project_id
        WHERE bp.kind = 'retainer' AND bp.retainer_hours_monthly IS NOT NULL
          AND (bp.start_date IS NULL OR u.month >= toStartOfMonth(assumeNotNull(bp.start_date)))
          AND (bp.end_date IS NULL OR u.month <= toStartOfMonth(assumeNotNull(bp.end_date)))
    )
    WHERE is_entry = 1 AND cumulative > contracted
),
resolved_entries AS
(
    SELECT e.external_id AS external_id, e.person_id AS person_id, e.date AS date, e.hours AS hours,
        e.billable AS billable, e.billing_status AS billing_status, e.billed_amount AS billed_amount,
        e.invoice_id AS invoice_id, e.deliverable_id AS deliverable_id, e.tags AS tags, e.task AS task,
        e.project_id AS project_id, e.client_id AS client_id, e.role AS role, e.team AS team,
        e.bill_rate AS bill_rate, e.cost_rate AS cost_rate, e.standard_value AS standard_value, e.kind AS kind,
        lf.listed AS listed,
        multiIf(e.billable = 0 OR e.billing_status != 'billed', toDecimal128(0, 10),
            lf.listed = 1, toDecimal128(toDecimal256(e.standard_value, 10) * lf.factor, 10),
            e.kind NOT IN ('retainer', 'fixed_fee', 'internal') AND e.billed_amount IS NOT NULL AND e.bill_rate IS NOT NULL,
            toDecimal128(assumeNotNull(e.billed_amount), 10),
            e.standard_value) AS billed_value,
        x.excess_hours AS retainer_excess_hours
    FROM entries_rated AS e
    LEFT JOIN line_factors AS lf ON lf.entry_id = e.external_id
    LEFT JOIN retainer_excess AS x ON x.external_id = e.external_id
)
