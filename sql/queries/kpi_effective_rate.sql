-- kpi: effective_rate
-- title: Effective rate
-- unit: money
-- group_by: client, project
-- filters: client, project
-- version: 2
-- description: Revenue ÷ all hours logged (billable or not): what an hour of work actually earned.
-- Parameters: org, from, to, group_by, interval, client, project, overhead.
-- Columns: period Date, grp String, value Nullable(Float64) (money per hour; NULL with no
--   hours), revenue (Decimal money), labour_cost (Nullable, as the labour_cost KPI), hours,
--   uncosted_hours (hours without a cost rate: flag cost_rate_missing, on labour_cost only).
WITH {{rates}}, {{entry_days}}, {{adjustments}}, {{margin}}
SELECT period, grp, if(h = 0, NULL, toFloat64(rv) / toFloat64(h)) AS value, rv AS revenue, c AS labour_cost, h AS hours,
    u AS uncosted_hours
FROM margin_totals
ORDER BY period, grp
