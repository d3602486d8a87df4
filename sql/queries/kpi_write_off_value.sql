-- kpi: write_off_value
-- title: Write-off value
-- unit: money
-- group_by: client, project, person
-- filters: person, role, team, client, project
-- version: 1
-- description: Standard value of billable work not billed, by the date of the work: written-off entries, write-off adjustments, invoice lines billing less than standard, and retainer over-service. Write-ups are reported apart, not netted.
-- Parameters: org, from, to, group_by, interval, person, role, team, client, project, now, tz.
-- Columns: period Date, grp String, value (Decimal money: entries + adjustments + invoices +
--   over_service), entries (written-off entries, whole standard value), adjustments
--   (write_off adjustments), invoices (billed below standard value), over_service (retainer
--   hours past the contract in closed months), write_off_hours, write_up_value (write_up
--   adjustments and billing above standard value; not in value).
WITH {{entry_days}}, {{write_offs}}, {{adjustments}},
parts AS
(
    SELECT period, grp, sumIf(write_off, written_off) AS w_entries, toDecimal128(0, 10) AS w_adjustments,
        sumIf(write_off, NOT written_off) AS w_invoices, sum(over_service) AS w_over_service,
        sum(write_off_hours) + sum(over_service_hours) AS w_hours, sum(write_up) AS w_up
    FROM entry_write_offs
    GROUP BY period, grp
    UNION ALL
    SELECT period, grp, toDecimal128(0, 10), sum(write_off), toDecimal128(0, 10), toDecimal128(0, 10),
        sum(write_off_hours), sum(write_up)
    FROM adjustment_values
    GROUP BY period, grp
)
SELECT period, grp, sum(w_entries) + sum(w_adjustments) + sum(w_invoices) + sum(w_over_service) AS value,
    sum(w_entries) AS entries, sum(w_adjustments) AS adjustments, sum(w_invoices) AS invoices,
    sum(w_over_service) AS over_service, sum(w_hours) AS write_off_hours, sum(w_up) AS write_up_value
FROM parts
GROUP BY period, grp
ORDER BY period, grp
