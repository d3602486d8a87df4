-- kpi: margin_pct
-- title: Margin %
-- unit: ratio
-- group_by: client, project
-- filters: client, project
-- version: 2
-- description: Margin ÷ revenue (NULL when revenue is 0, or when no hour has a cost rate); over a group, Σ margin ÷ Σ revenue.
-- Parameters: org, from, to, group_by, interval, client, project, overhead.
-- Columns: period Date, grp String, value Nullable(Float64), margin (Nullable Decimal money), revenue,
--   labour_cost (Nullable: null when hours were logged and none has a cost rate), hours,
--   uncosted_hours (hours without a cost rate, which add no labour cost: flag cost_rate_missing).
WITH {{rates}}, {{entry_days}}, {{adjustments}}, {{margin}}
SELECT period, grp, if(rv = 0, NULL, toFloat64(rv - c) / toFloat64(rv)) AS value, rv - c AS margin, rv AS revenue,
    c AS labour_cost, h AS hours, u AS uncosted_hours
FROM margin_totals
ORDER BY period, grp
