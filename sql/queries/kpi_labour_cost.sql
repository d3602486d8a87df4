-- kpi: labour_cost
-- title: Labour cost
-- unit: money
-- group_by: client, project
-- filters: client, project
-- version: 1
-- description: All hours logged (billable or not) × the cost rate in force on the entry date, plus hours × the org's overhead per hour.
-- Parameters: org, from, to, group_by, interval, client, project, overhead.
-- Columns: period Date, grp String, value (Decimal money: cost_of_hours + overhead_cost),
--   cost_of_hours (hours × cost rate; 0 for entries with no cost rate), overhead_cost
--   (hours × overhead per hour), revenue (as the revenue KPI), labour_cost (= value), hours.
WITH {{entries}}, {{entry_billing}}, {{adjustments}}, {{margin}},
totals AS
(
    SELECT period, grp,
        sum(fixed_fees) + sum(retainer_fees) + sum(retainer_overage) + sum(tm_value) - sum(tm_write_offs) + sum(tm_write_ups) AS rv,
        sum(labour_cost) AS c, sum(overhead_cost) AS o, sum(hours) AS h
    FROM margin_parts
    GROUP BY period, grp
)
SELECT period, grp, c + o AS value, c AS cost_of_hours, o AS overhead_cost, rv AS revenue, value AS labour_cost, h AS hours
FROM totals
ORDER BY period, grp
