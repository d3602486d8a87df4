-- utilization: billable, logged, available and target hours per period and
-- group, for the utilization KPIs (spec kpis.md §2). Includes person_days
-- and entry_days (the daily rollup of the entry facts).
-- Needs: those of person_days and entry_days.
-- Columns of utilization_parts: period, grp, billable, logged, available,
--   target_hours (available × the target in force), targeted (the available
--   hours that have a target in force), assumed (the available hours of
--   person-days whose capacity is assumed), all Decimal(38, 10).
{{person_days}}, {{entry_days}},
utilization_rows AS
(
    SELECT period, grp, sum(if(billable = 1, hours, toDecimal128(0, 10))) AS b,
        sum(hours) AS l, toDecimal128(0, 10) AS a, toDecimal128(0, 10) AS t,
        toDecimal128(0, 10) AS ta, toDecimal128(0, 10) AS aa
    FROM entry_days GROUP BY period, grp
    UNION ALL
    SELECT period, grp, toDecimal128(0, 10), toDecimal128(0, 10), sum(available), sum(available * target),
        sum(if(targeted, available, toDecimal128(0, 10))), sum(if(assumed = 1, available, toDecimal128(0, 10)))
    FROM person_days GROUP BY period, grp
),
utilization_parts AS
(
    SELECT period, grp, sum(b) AS billable, sum(l) AS logged, sum(a) AS available, sum(t) AS target_hours,
        sum(ta) AS targeted, sum(aa) AS assumed
    FROM utilization_rows
    GROUP BY period, grp
)
