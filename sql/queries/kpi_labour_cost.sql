-- kpi: labour_cost
-- title: Labour cost
-- unit: money
-- group_by: client, project
-- filters: client, project
-- version: 2
-- description: All hours logged (billable or not) × the cost rate in force on the entry date, plus hours × the org's overhead per hour; unknown (null) when no hour has a cost rate.
-- Parameters: org, from, to, group_by, interval, client, project, overhead.
-- Columns: period Date, grp String, value (Nullable Decimal money: cost_of_hours + overhead_cost;
--   null when hours were logged and none has a cost rate), cost_of_hours (hours × cost rate,
--   over the hours that have one), overhead_cost (hours × overhead per hour), revenue (as the
--   revenue KPI), labour_cost (= value), hours, uncosted_hours (hours without a cost rate:
--   flag cost_rate_missing).
WITH {{rates}}, {{entry_days}}, {{adjustments}}, {{margin}}
SELECT period, grp, c AS value, c - o AS cost_of_hours, o AS overhead_cost, rv AS revenue, c AS labour_cost, h AS hours,
    u AS uncosted_hours
FROM margin_totals
ORDER BY period, grp
