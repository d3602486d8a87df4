-- kpi: write_off_rate
-- title: Write-off rate
-- unit: ratio
-- group_by: client, project, person
-- filters: person, role, team, client, project
-- version: 1
-- description: Write-off value ÷ standard value of the billable work dated in the range. Ops leads alert on this.
-- Parameters: org, from, to, group_by, interval, person, role, team, client, project, now, tz.
-- Columns: period Date, grp String, value Nullable(Float64) (NULL when there is no billable
--   standard value), write_off_value (Decimal money, as the write_off_value KPI),
--   standard_value (Decimal money: hours × bill rate of billable entries, written off or not).
WITH {{entry_days}}, {{write_offs}}, {{adjustments}},
parts AS
(
    SELECT period, grp, sum(write_off) + sum(over_service) AS w_value, sum(standard_value) AS s_value
    FROM entry_write_offs
    GROUP BY period, grp
    UNION ALL
    SELECT period, grp, sum(write_off), toDecimal128(0, 10)
    FROM adjustment_values
    GROUP BY period, grp
)
SELECT period, grp, if(sum(s_value) = 0, NULL, toFloat64(sum(w_value)) / toFloat64(sum(s_value))) AS value,
    sum(w_value) AS write_off_value, sum(s_value) AS standard_value
FROM parts
GROUP BY period, grp
ORDER BY period, grp
