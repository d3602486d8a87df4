-- kpi: margin
-- title: Margin
-- unit: money
-- group_by: client, project
-- filters: client, project
-- version: 2
-- description: Revenue − labour cost (hours × cost rate, plus hours × the org's overhead per hour); unknown (null) when no hour has a cost rate.
-- Parameters: org, from, to, group_by, interval, client, project, overhead.
-- Columns: period Date, grp String, value (Nullable Decimal money: revenue − labour_cost), revenue,
--   labour_cost (Nullable: null when hours were logged and none has a cost rate), hours,
--   uncosted_hours (hours without a cost rate, which add no labour cost: flag cost_rate_missing).
WITH {{rates}}, {{entry_days}}, {{adjustments}}, {{margin}}
SELECT period, grp, rv - c AS value, rv AS revenue, c AS labour_cost, h AS hours, u AS uncosted_hours
FROM margin_totals
ORDER BY period, grp
