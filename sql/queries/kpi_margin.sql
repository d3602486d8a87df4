-- kpi: margin
-- title: Margin
-- unit: money
-- group_by: client, project
-- filters: client, project
-- version: 1
-- description: Revenue − labour cost (hours × cost rate, plus hours × the org's overhead per hour).
-- Parameters: org, from, to, group_by, interval, client, project, overhead.
-- Columns: period Date, grp String, value (Decimal money: revenue − labour_cost), revenue,
--   labour_cost, hours.
WITH {{entries}}, {{entry_billing}}, {{adjustments}}, {{margin}}
SELECT period, grp, rv - c AS value, rv AS revenue, c AS labour_cost, h AS hours
FROM margin_totals
ORDER BY period, grp
