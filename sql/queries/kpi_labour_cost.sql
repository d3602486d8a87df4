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
WITH {{entries}}, {{entry_billing}}, {{adjustments}}, {{margin}}
SELECT period, grp, c AS value, c - o AS cost_of_hours, o AS overhead_cost, rv AS revenue, c AS labour_cost, h AS hours
FROM margin_totals
ORDER BY period, grp
