-- kpi: handoff_wait
-- title: Handoff wait
-- unit: hours
-- group_by: client, project
-- filters: client, project
-- version: 1
-- description: Time from leaving one phase of the operating loop to entering the next, per transition pair (for example client_review → production): the median hours, with p90, one row per pair seen.
-- Parameters: org, from, to, group_by, interval, client, project, tz.
--   Leaving and entering come from the deliverables' events (fragments/loop_segments.sql).
--   A deliverable leaves a phase at the first event that puts it anywhere else: a status
--   change into another phase (wait 0), into a status mapped to no phase (a queue such as
--   "Ready for QA", which it waits in), or, in client_review, the client's decision
--   (approved or changes requested: the wait is then the agency's pick-up time). It enters
--   the next phase at the first event that puts it there. A return to the same phase after
--   an unmapped status (production → "Blocked" → production) is not a handoff and is not
--   counted. Each transition counts in the bucket of the day (org time zone) the next phase
--   was entered, when that day is in [from, to); p50 and p90 are over transitions,
--   interpolated linearly (quantileExactInclusive).
-- Columns: period Date, grp String, value Float64 (p50 hours), from_phase String,
--   to_phase String, p90_hours Float64, transitions UInt64, waited UInt64 (transitions with
--   a wait above 0), total_hours Float64.
WITH {{loop_segments}},
phases AS
(
    SELECT ['intake', 'brief', 'production', 'internal_review', 'client_review', 'delivered', 'reported'] AS order
),
handoffs AS
(
    SELECT toDate(assumeNotNull(next_entered_at), {tz:String}) AS day, grp, phase AS from_phase, next_phase AS to_phase,
        dateDiff('millisecond', assumeNotNull(left_at), assumeNotNull(next_entered_at)) / 3600000 AS hours
    FROM loop_segments
    WHERE next_phase != '' AND next_phase != phase AND day >= {from:Date} AND day < {to:Date}
)
SELECT multiIf({interval:String} = 'day', day, {interval:String} = 'week', toMonday(day),
        {interval:String} = 'month', toStartOfMonth(day), {from:Date}) AS period,
    grp, quantileExactInclusive(0.5)(hours) AS value, from_phase, to_phase,
    quantileExactInclusive(0.9)(hours) AS p90_hours, count() AS transitions, countIf(hours > 0) AS waited,
    sum(hours) AS total_hours
FROM handoffs
GROUP BY period, grp, from_phase, to_phase
ORDER BY period, grp, indexOf((SELECT order FROM phases), from_phase), indexOf((SELECT order FROM phases), to_phase)
