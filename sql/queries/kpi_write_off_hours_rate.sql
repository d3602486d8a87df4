-- kpi: write_off_hours_rate
-- title: Write-off hours rate
-- unit: ratio
-- group_by: client, project, person
-- filters: person, role, team, client, project
-- version: 1
-- description: Written-off hours ÷ billable hours dated in the range: the write-off rate in hours, so rate changes do not move it.
-- Parameters: org, from, to, group_by, interval, person, role, team, client, project, now, tz.
-- Columns: period Date, grp String, value Nullable(Float64) (NULL when there are no billable
--   hours), write_off_hours (Decimal: hours of written-off entries and over-service, hours of
--   adjustments (else amount ÷ bill rate), invoice shortfall ÷ bill rate), billable_hours.
WITH {{entry_days}}, {{write_offs}}, {{adjustments}},
parts AS
(
    SELECT period, grp, sum(write_off_hours) + sum(over_service_hours) AS w_hours,
        sum(if(billable = 1, toDecimal128(hours, 10), toDecimal128(0, 10))) AS b_hours
    FROM entry_write_offs
    GROUP BY period, grp
    UNION ALL
    SELECT period, grp, sum(write_off_hours), toDecimal128(0, 10)
    FROM adjustment_values
    GROUP BY period, grp
)
SELECT period, grp, if(sum(b_hours) = 0, NULL, toFloat64(sum(w_hours)) / toFloat64(sum(b_hours))) AS value,
    sum(w_hours) AS write_off_hours, sum(b_hours) AS billable_hours
FROM parts
GROUP BY period, grp
ORDER BY period, grp
