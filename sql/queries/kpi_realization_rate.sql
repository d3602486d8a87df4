-- kpi: realization_rate
-- title: Realization rate
-- unit: ratio
-- group_by: client, project, person
-- filters: person, role, team, client, project
-- version: 1
-- description: Billed value ÷ standard value of closed work (billable entries billed or written off) dated in the range.
-- Parameters: org, from, to, group_by, interval, person, role, team, client, project.
-- Columns: period Date, grp String, value Nullable(Float64) (NULL with no closed work),
--   billed_value (Decimal money: a written-off entry 0; a billed one its share of the
--   invoice lines that list it, else its billed_amount on T&M work, else its standard
--   value), standard_value (Decimal money of the closed entries), closed_hours.
WITH {{entry_days}},
closed AS
(
    SELECT period, grp, sum(billed_value) AS b_value, sum(standard_value) AS s_value, sum(hours) AS c_hours
    FROM entry_days
    WHERE billable = 1 AND billing_status IN ('billed', 'written_off')
    GROUP BY period, grp
)
SELECT period, grp, if(s_value = 0, NULL, toFloat64(b_value) / toFloat64(s_value)) AS value,
    b_value AS billed_value, s_value AS standard_value, c_hours AS closed_hours
FROM closed
ORDER BY period, grp
