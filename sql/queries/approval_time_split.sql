-- approval_time_split: approval_time_p50 (kpi_approval_time_p50.sql) three ways in one
-- query, for the overview's tile: by {trend} over the range shown, [split, to), and over
-- the whole of the previous range, [from, prev_to), and of the range shown. The engine
-- plans it once where three requests were planned three times, and planning is most of
-- what each cost (docs/benchmarks.md, issue 19). metrics/split.go makes of each part the
-- answer approval_time_p50 gives for that request alone.
-- Parameters: those of approval_time_p50 with interval 'day' and from the start of the
--   previous range; prev_to (Date), where the previous range ends; split (Date), where
--   the range shown starts (prev_to <= split); trend 'day', 'week' or 'month'.
-- Columns: part String ('before', 'whole' or 'trend'), period Date (trend: the bucket;
--   else the range's start), grp String, value Float64, business_hours Float64,
--   cycles UInt64, p90 Float64, as in kpi_approval_time_p50.sql.
WITH {{decided_cycles}},
cycles AS
(
    -- decided_cycles by day ({interval} is 'day'), the days between the two
    -- ranges left out
    SELECT grp, hours, work_hours, period >= {split:Date} AS shown,
        multiIf({trend:String} = 'day', period, {trend:String} = 'week', toMonday(period), toStartOfMonth(period)) AS bucket
    FROM decided_cycles
    WHERE period < {prev_to:Date} OR period >= {split:Date}
)
-- grouping(bucket) is 1 in the grouping set without it (standard SQL): the
-- rows of a whole range; the previous range's rows by bucket are dropped
SELECT multiIf(grouping(bucket) = 0, 'trend', shown, 'whole', 'before') AS part,
    multiIf(grouping(bucket) = 0, bucket, shown, {split:Date}, {from:Date}) AS period, grp,
    quantileExactInclusive(0.5)(hours) AS value, quantileExactInclusive(0.5)(work_hours) AS business_hours,
    count() AS cycles, quantileExactInclusive(0.9)(hours) AS p90
FROM cycles
GROUP BY GROUPING SETS ((shown, grp), (shown, grp, bucket))
HAVING grouping(bucket) = 1 OR shown
ORDER BY part, period, grp
