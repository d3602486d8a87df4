-- entry_billing: what each entry of `entries` was billed for and what of it
-- was written off on its own or on the invoice (spec kpis.md §4, §6), for the
-- write-off, realization and margin KPIs. Put it after the entries fragment.
--   The entry's billing_status says whether it is billed; its billed_value
--   (resolved once per facts build from the invoice lines that list it, see
--   fragments/entry_resolve.sql) says for how much.
-- Needs: those of entries.
-- Columns of entry_values: those of entries but deliverable_id, tags and task;
--   tm (1 for work billed by the hour: a project that is not retainer,
--   fixed_fee or internal, or none); invoice_diff (standard_value −
--   billed_value of a billed entry: > 0 written off on the invoice, < 0
--   written up); written_off (billable and written off); write_off (money:
--   the whole standard value of a written-off entry (way a), else the positive
--   invoice_diff (way c)); write_off_hours (the entry's hours, or invoice_diff
--   ÷ bill rate); write_up (the negative invoice_diff, as a positive amount).
-- Also for the margin fragment: those of the rates fragment.
{{rates}},
-- In steps, so that the engine does not copy each alias's expression into
-- every later one that uses it.
entry_diffs AS
(
    SELECT external_id, person_id, date, hours, billable, billing_status, billed_amount, invoice_id, project_id,
        client_id, role, team, bill_rate, cost_rate, standard_value, kind, listed, billed_value, retainer_excess_hours,
        period, grp,
        kind NOT IN ('retainer', 'fixed_fee', 'internal') AS tm,
        billable = 1 AND billing_status = 'written_off' AS written_off,
        if(billable = 1 AND billing_status = 'billed', standard_value - billed_value, toDecimal128(0, 10)) AS invoice_diff
    FROM entries
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
