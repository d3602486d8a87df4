-- kpi: revenue
-- title: Revenue
-- unit: money
-- group_by: client, project
-- filters: client, project
-- version: 2
-- description: Recognized revenue: fixed fees spread over their months, retainer fees in their months, billed retainer overage, and T&M work at standard value less its write-offs plus write-ups.
-- Parameters: org, from, to, group_by, interval, client, project, overhead.
-- Columns: period Date, grp String, value (Decimal money: fixed_fees + retainer_fees +
--   retainer_overage + tm_value − tm_write_offs + tm_write_ups), fixed_fees, retainer_fees,
--   retainer_overage, tm_value, tm_write_offs, tm_write_ups, revenue (= value), labour_cost
--   (hours × cost rate + hours × overhead; Nullable, as the labour_cost KPI), hours (all hours
--   logged), uncosted_hours (hours without a cost rate: flag cost_rate_missing, on labour_cost only).
WITH {{rates}}, {{entry_days}}, {{adjustments}}, {{margin}},
totals AS
(
    SELECT period, grp, sum(fixed_fees) AS f, sum(retainer_fees) AS r, sum(retainer_overage) AS o, sum(tm_value) AS t,
        sum(tm_write_offs) AS w, sum(tm_write_ups) AS u, sum(hours) AS h, sum(uncosted_hours) AS uh,
        if(h > 0 AND uh = h, NULL, sum(labour_cost) + sum(overhead_cost)) AS c
    FROM margin_parts
    GROUP BY period, grp
)
SELECT period, grp, f + r + o + t - w + u AS value, f AS fixed_fees, r AS retainer_fees, o AS retainer_overage,
    t AS tm_value, w AS tm_write_offs, u AS tm_write_ups, value AS revenue, c AS labour_cost, h AS hours,
    uh AS uncosted_hours
FROM totals
ORDER BY period, grp
