-- margin: revenue and labour cost per period and group (spec kpis.md §6), for
-- revenue, labour_cost, margin, margin_pct and effective_rate. Put it after
-- the rates, entry_days and adjustments fragments.
--   Fees. A fixed_fee project's budget_amount is spread evenly over the
--   calendar months from start_date to end_date (both inclusive; only one of
--   them: that month; neither: no fee is recognized). A retainer's
--   retainer_fee_monthly is recognized in each calendar month it is active in
--   (from start_date's month, or always when it has none, to end_date's month,
--   or on when it has none). A month's fee is spread evenly over its days, so a
--   range or an interval that cuts a month gets its days' share, and a whole
--   month gets the whole fee.
--   T&M value: the standard value of billable entries on projects that are not
--   retainer, fixed_fee or internal (or on no project), written off or not,
--   less their write-offs (way a, way c: an invoiced entry counts at its
--   billed value) and write_off adjustments on such work, plus write-ups.
--   Over-service and write-offs on fixed-fee or retainer work do not lower
--   revenue: the client pays the fee.
--   Retainer overage: the billed value of retainer entries an invoice line
--   lists (billed on top of the fee).
--   Labour cost: every entry's hours (billable or not) × its cost rate in force
--   on the entry date, plus hours × the org's overhead per hour. Hours with no
--   cost rate (none resolves, or it is 0) are uncosted: they add no cost and
--   are counted apart, and when every hour of a row is uncosted its labour
--   cost is unknown (NULL), not 0 (metrics flag cost_rate_missing).
-- Needs: those of the fragments before it, and overhead.
-- Columns of margin_parts (one or more rows per period and grp; sum them):
--   period, grp, fixed_fees, retainer_fees, retainer_overage, tm_value,
--   tm_write_offs, tm_write_ups, labour_cost, overhead_cost, hours, uncosted_hours (Decimal).
fee_projects AS
(
    -- A fixed fee is spread in cents: every month but the last gets the fee ÷
    -- months rounded to 2 decimals, the last month the rest, so the months
    -- add up to the fee exactly (10,000 over 3 months: 3,333.33 twice and
    -- 3,333.34), never to 9,999.9999999999.
    SELECT project_id, client_id, kind, first_month, last_month,
        if(kind = 'fixed_fee', toDecimal128(round(toDecimal128(ifNull(budget_amount, 0), 10) / greatest(months, 1), 2), 10),
            toDecimal128(ifNull(retainer_fee_monthly, 0), 10)) AS monthly_fee,
        if(kind = 'fixed_fee', toDecimal128(ifNull(budget_amount, 0), 10) - monthly_fee * (months - 1), monthly_fee) AS last_fee
    FROM
    (
        SELECT project_id, client_id, kind, budget_amount, retainer_fee_monthly,
            toStartOfMonth(if(kind = 'fixed_fee', coalesce(start_date, end_date), ifNull(start_date, {from:Date}))) AS first_month,
            toStartOfMonth(if(kind = 'fixed_fee', coalesce(end_date, start_date), ifNull(end_date, {to:Date}))) AS last_month,
            dateDiff('month', first_month, last_month) + 1 AS months
        FROM billing_projects
        WHERE (kind = 'fixed_fee' AND (start_date IS NOT NULL OR end_date IS NOT NULL))
           OR (kind = 'retainer' AND retainer_fee_monthly IS NOT NULL)
    )
    -- No month at all: a retainer that starts after the range (the engine
    -- computes both branches of if(), so the division above is guarded too),
    -- or a fixed fee whose end is before its start.
    WHERE months > 0
      AND ({client:String} = '' OR client_id = {client:String})
      AND ({project:String} = '' OR project_id = {project:String})
),
-- Each fee project's share per period: the days of [from, to) in its months.
fee_shares AS
(
    SELECT period, grp, kind, toDecimal128(any(month_fee) * count() / toDayOfMonth(addDays(addMonths(month, 1), -1)), 10) AS fee
    FROM
    (
        SELECT f.kind AS kind, toStartOfMonth(day) AS month, if(month = f.last_month, f.last_fee, f.monthly_fee) AS month_fee,
            multiIf({interval:String} = 'day', day, {interval:String} = 'week', toMonday(day),
                {interval:String} = 'month', toStartOfMonth(day), {from:Date}) AS period,
            multiIf({group_by:String} = 'client', f.client_id, {group_by:String} = 'project', f.project_id, '') AS grp,
            f.project_id AS project_id
        FROM fee_projects AS f
        ARRAY JOIN arrayMap(i -> greatest(f.first_month, {from:Date}) + i,
            range(toUInt32(greatest(dateDiff('day', greatest(f.first_month, {from:Date}),
                least(addMonths(f.last_month, 1), {to:Date})), 0)))) AS day
    )
    GROUP BY project_id, month, period, grp, kind
),
margin_parts AS
(
    SELECT period, grp, sum(if(kind = 'fixed_fee', fee, toDecimal128(0, 10))) AS fixed_fees,
        sum(if(kind = 'retainer', fee, toDecimal128(0, 10))) AS retainer_fees,
        toDecimal128(0, 10) AS retainer_overage, toDecimal128(0, 10) AS tm_value, toDecimal128(0, 10) AS tm_write_offs,
        toDecimal128(0, 10) AS tm_write_ups, toDecimal128(0, 10) AS labour_cost, toDecimal128(0, 10) AS overhead_cost,
        toDecimal128(0, 10) AS hours, toDecimal128(0, 10) AS uncosted_hours
    FROM fee_shares
    GROUP BY period, grp
    UNION ALL
    -- The entries' part, from the daily rollup, whose rows carry each
    -- entry's cost (hours × cost rate) summed. Overhead is hours × a rate
    -- of 4 places, and hours have 6, so a row's hours × overhead is the sum
    -- of its entries' products exactly.
    SELECT period, grp, toDecimal128(0, 10), toDecimal128(0, 10), sum(retainer_overage),
        sumIf(standard_value, tm), sumIf(write_off, tm), sumIf(write_up, tm), sum(cost),
        sum(toDecimal128(hours * toDecimal128({overhead:Decimal(18, 4)}, 10), 10)),
        sum(hours), sum(uncosted_hours)
    FROM entry_days
    GROUP BY period, grp
    UNION ALL
    SELECT period, grp, toDecimal128(0, 10), toDecimal128(0, 10), toDecimal128(0, 10), toDecimal128(0, 10),
        sumIf(write_off, tm), sumIf(write_up, tm), toDecimal128(0, 10), toDecimal128(0, 10), toDecimal128(0, 10),
        toDecimal128(0, 10)
    FROM adjustment_values
    GROUP BY period, grp
),
-- Per period and group: revenue (rv), labour cost with overhead (c; NULL
-- when hours were logged and none has a cost rate), the overhead alone (o),
-- hours (h) and uncosted hours (u), for margin, margin_pct, effective_rate
-- and labour_cost.
margin_totals AS
(
    SELECT period, grp,
        sum(fixed_fees) + sum(retainer_fees) + sum(retainer_overage) + sum(tm_value) - sum(tm_write_offs) + sum(tm_write_ups) AS rv,
        sum(hours) AS h, sum(uncosted_hours) AS u,
        if(h > 0 AND u = h, NULL, sum(labour_cost) + sum(overhead_cost)) AS c, sum(overhead_cost) AS o
    FROM margin_parts
    GROUP BY period, grp
)
