-- kpi: write_off_by_reason
-- title: Write-off value by reason
-- unit: money
-- group_by: client, project, person
-- filters: person, role, team, client, project
-- version: 1
-- description: Write-off value split by reason (over_service, goodwill, internal_error, estimate_overrun, other); the reasons of a period and group add up to write_off_value.
-- Parameters: org, from, to, group_by, interval, person, role, team, client, project, now, tz.
-- Columns: period Date, grp String, reason String (one row per reason that has any), value
--   (Decimal money written off for that reason), write_off_hours, write_up_value (write-ups
--   with that reason; not in value). A written-off entry takes the reason of a write_off
--   adjustment that names it, else other; billing below standard value on an invoice is
--   other; retainer hours past the contract are over_service.
WITH {{entry_days}}, {{write_offs}}, {{adjustments}},
-- Per day row: its entries' reason (a written-off entry's is that of the
-- latest write_off adjustment that names it, resolved in the rollup's
-- build), and over-service. An entry counts where it has a value written
-- off or up: values are never negative, so a row's sums are 0 exactly when
-- all its entries' are, and its hours are those of the entries that count
-- (reason_write_off_hours, over_service_valued_hours).
parts AS
(
    SELECT e.period AS period, e.grp AS grp, tupleElement(r, 1) AS w_reason, sum(tupleElement(r, 2)) AS w_value,
        sum(tupleElement(r, 3)) AS w_hours, sum(tupleElement(r, 4)) AS w_up
    FROM entry_write_offs AS e
    ARRAY JOIN [(toString(e.reason), e.write_off, e.reason_write_off_hours, e.write_up),
        ('over_service', e.over_service, e.over_service_valued_hours, toDecimal128(0, 10))] AS r
    WHERE tupleElement(r, 2) != 0 OR tupleElement(r, 4) != 0
    GROUP BY period, grp, w_reason
    UNION ALL
    SELECT period, grp, reason, sum(write_off), sum(write_off_hours), sum(write_up)
    FROM adjustment_values
    GROUP BY period, grp, reason
)
SELECT period, grp, w_reason AS reason, sum(w_value) AS value, sum(w_hours) AS write_off_hours, sum(w_up) AS write_up_value
FROM parts
GROUP BY period, grp, w_reason
ORDER BY period, grp, w_reason
