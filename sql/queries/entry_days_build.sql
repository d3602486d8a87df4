-- entry_days_build: writes one org's daily rollup of a build's entry facts
-- under the same build id, after entry_facts_build (metrics/facts.go; the
-- table is described in sql/schema/0021_entry_days.sql).
--   Per entry, what the KPIs computed per entry, then summed per group:
--   written off: billable and billing_status written_off; invoice_diff:
--   standard_value − billed_value of a billed billable entry (> 0 written
--   off on the invoice, < 0 written up); write_off: the whole standard value
--   of a written-off entry (way a of spec kpis.md §4), else the positive
--   invoice_diff (way c); write_off_hours: the entry's hours, else
--   invoice_diff ÷ bill rate; write_up: the negative invoice_diff, as a
--   positive amount; cost: hours × cost rate; retainer_excess_value: the
--   excess hours × bill rate (spec §4 over-service, counted by the
--   write_offs fragment once the month has closed). A written-off entry's
--   reason is that of the latest write_off adjustment that names it.
-- Parameters: org {org:String}, build id {facts:String}.
INSERT INTO ops.entry_days (org_id, build_id, date, person_id, project_id, client_id, role, team, kind, billable,
    billing_status, reason, entries, rated_entries, hours, standard_value, billed_value, cost, uncosted_hours, write_off,
    write_off_hours, reason_write_off_hours, write_up, retainer_overage, retainer_excess_hours, retainer_excess_value,
    valued_excess_hours)
WITH
entry_reasons AS
(
    SELECT time_entry_id AS entry_id,
        argMax(if(reason IN ('over_service', 'goodwill', 'internal_error', 'estimate_overrun'), toString(reason), 'other'),
            (date, external_id)) AS reason
    FROM ops.adjustments FINAL
    WHERE org_id = {org:String} AND kind = 'write_off' AND time_entry_id != ''
    GROUP BY time_entry_id
),
-- In steps, so that the engine does not copy each alias's expression into
-- every later one that uses it.
day_diffs AS
(
    SELECT external_id, date, person_id, project_id, client_id, role, team, kind, billable, billing_status,
        toDecimal128(hours, 10) AS hours, bill_rate, cost_rate, standard_value, billed_value, listed,
        retainer_excess_hours,
        billable = 1 AND billing_status = 'written_off' AS written_off,
        if(billable = 1 AND billing_status = 'billed', standard_value - billed_value, toDecimal128(0, 10)) AS invoice_diff
    FROM ops.entry_facts FINAL
    WHERE org_id = {org:String} AND build_id = {facts:String}
),
day_values AS
(
    SELECT *, if(written_off, standard_value, greatest(invoice_diff, toDecimal128(0, 10))) AS write_off,
        multiIf(written_off, hours,
            invoice_diff > 0 AND ifNull(bill_rate, 0) > 0, toDecimal128(invoice_diff / toDecimal128(assumeNotNull(bill_rate), 10), 10),
            toDecimal128(0, 10)) AS write_off_hours,
        greatest(-invoice_diff, toDecimal128(0, 10)) AS write_up,
        toDecimal128(retainer_excess_hours * toDecimal128(ifNull(bill_rate, 0), 10), 10) AS excess_value
    FROM day_diffs
)
SELECT {org:String}, {facts:String}, v.date, v.person_id, v.project_id, v.client_id, v.role, v.team, v.kind, v.billable,
    v.billing_status, if(v.written_off AND r.reason != '', r.reason, 'other') AS entry_reason,
    count(), countIf(isNotNull(v.bill_rate)), sum(v.hours), sum(v.standard_value), sum(v.billed_value),
    sum(toDecimal128(v.hours * toDecimal128(ifNull(v.cost_rate, 0), 10), 10)),
    sum(if(ifNull(v.cost_rate, 0) = 0, v.hours, toDecimal128(0, 10))),
    sum(v.write_off), sum(v.write_off_hours),
    sum(if(v.write_off != 0 OR v.write_up != 0, v.write_off_hours, toDecimal128(0, 10))),
    sum(v.write_up),
    sum(if(v.kind = 'retainer' AND v.listed = 1, v.billed_value, toDecimal128(0, 10))),
    sum(v.retainer_excess_hours), sum(v.excess_value),
    sum(if(v.excess_value != 0, v.retainer_excess_hours, toDecimal128(0, 10)))
FROM day_values AS v
LEFT JOIN entry_reasons AS r ON r.entry_id = v.external_id
GROUP BY v.date, v.person_id, v.project_id, v.client_id, v.role, v.team, v.kind, v.billable, v.billing_status, entry_reason
