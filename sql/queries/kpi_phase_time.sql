-- kpi: phase_time
-- title: Time in phase
-- unit: hours
-- group_by: client, project
-- filters: client, project
-- version: 1
-- description: How long deliverables spend in each phase of the operating loop (intake, brief, production, internal_review, client_review, delivered, reported): the median hours per deliverable, with p90, one row per phase.
-- Parameters: org, from, to, group_by, interval, client, project, tz.
--   Phase segments come from the deliverables' events (fragments/loop_segments.sql); a
--   segment counts once it has been left, in the bucket of the day (org time zone) it was
--   left, and only when that day is in [from, to). A deliverable's time in a phase is the
--   sum of its visits left in that bucket (a second production round after client changes
--   adds to the first). p50 and p90 are over deliverables, interpolated linearly
--   (quantileExactInclusive, as Excel PERCENTILE.INC). Each (period, group) with data gets
--   all seven phases, in loop order; a phase nobody left there has null p50/p90 and 0
--   deliverables (the last phase, reported, is usually never left).
-- Columns: period Date, grp String, value Nullable(Float64) (p50 calendar hours), phase String,
--   p90_hours Nullable(Float64), deliverables UInt64, total_hours Float64.
WITH {{loop_segments}},
visits AS
(
    SELECT multiIf({interval:String} = 'day', day, {interval:String} = 'week', toMonday(day),
            {interval:String} = 'month', toStartOfMonth(day), {from:Date}) AS period,
        grp, deliverable_id, phase, sum(visit_hours) AS hours
    FROM
    (
        SELECT grp, deliverable_id, phase, toDate(assumeNotNull(left_at), {tz:String}) AS day,
            dateDiff('millisecond', entered_at, assumeNotNull(left_at)) / 3600000 AS visit_hours
        FROM loop_segments
        WHERE left_at IS NOT NULL AND day >= {from:Date} AND day < {to:Date}
    )
    GROUP BY period, grp, deliverable_id, phase
),
stats AS
(
    SELECT period, grp, phase, quantileExactInclusive(0.5)(hours) AS p50, quantileExactInclusive(0.9)(hours) AS p90,
        count() AS n, sum(hours) AS total
    FROM visits
    GROUP BY period, grp, phase
)
-- every phase for each (period, group) with data, in loop order
SELECT period, grp, if(i = 0, NULL, p50s[i]) AS value, phase, if(i = 0, NULL, p90s[i]) AS p90_hours,
    if(i = 0, 0, ns[i]) AS deliverables, if(i = 0, 0, totals[i]) AS total_hours
FROM
(
    SELECT period, grp, phase, ord, p50s, p90s, ns, totals, indexOf(phases, phase) AS i
    FROM
    (
        SELECT period, grp, groupArray(phase) AS phases, groupArray(p50) AS p50s, groupArray(p90) AS p90s,
            groupArray(n) AS ns, groupArray(total) AS totals
        FROM stats
        GROUP BY period, grp
    )
    ARRAY JOIN ['intake', 'brief', 'production', 'internal_review', 'client_review', 'delivered', 'reported'] AS phase,
        range(1, 8) AS ord
)
ORDER BY period, grp, ord
