-- kpi: pending_reviews
-- title: Pending client reviews
-- unit: count
-- group_by: client, project
-- filters: client, project
-- version: 1
-- description: Review requests still waiting for a client decision at the end of the range (or now, if earlier), with the age of the oldest and how many have waited longer than the org's stuck-review limit (48 hours unless set: "stuck approvals").
-- Parameters: org, from, to, group_by, interval, client, project, tz, now, stuck_hours (the
--   org's stuck-review limit; the fragment also names org_workdays, day_start, day_end).
--   A snapshot: a cycle counts when it was requested before the cutoff and not decided by
--   it. The cutoff is min(to, now); with an interval, each period is a snapshot at its own
--   end (or now), and periods that start after now are left out (so is a range that lies
--   wholly in the future). Ages are calendar hours.
--   With no grouping every period has a row, 0 when nothing is pending.
-- Columns: period Date, grp String, value UInt64 (pending cycles),
--   oldest_age_hours Nullable(Float64), stuck UInt64 (pending longer than stuck_hours).
WITH {{review_cycles}},
pending_buckets AS
(
    SELECT period, least(toDateTime(least(next, {to:Date}), {tz:String}), {now:DateTime64(3)}) AS cutoff
    FROM
    (
        SELECT DISTINCT multiIf({interval:String} = 'day', dd, {interval:String} = 'week', toMonday(dd),
                {interval:String} = 'month', toStartOfMonth(dd), {from:Date}) AS period,
            multiIf({interval:String} = 'day', period + 1, {interval:String} = 'week', period + 7,
                {interval:String} = 'month', addMonths(period, 1), {to:Date}) AS next
        FROM (SELECT arrayJoin(arrayMap(i -> {from:Date} + i, range(toUInt32(dateDiff('day', {from:Date}, {to:Date}))))) AS dd)
    )
    WHERE toDateTime(greatest(period, {from:Date}), {tz:String}) < {now:DateTime64(3)}
),
pending_candidates AS
(
    -- the periods a cycle may be open at the end of: those holding a local day from its
    -- request to its decision (or now), inside the range; an equi-join, not cycles × periods
    SELECT client_id, project_id, requested_at, decided_at,
        arrayJoin(arrayDistinct(arrayMap(dd -> multiIf({interval:String} = 'day', dd, {interval:String} = 'week', toMonday(dd),
                {interval:String} = 'month', toStartOfMonth(dd), {from:Date}),
            arrayMap(i -> first_day + i, range(toUInt32(greatest(dateDiff('day', first_day, last_day) + 1, 0))))))) AS period
    FROM
    (
        SELECT client_id, project_id, requested_at, decided_at,
            greatest(toDate(requested_at, {tz:String}), {from:Date}) AS first_day,
            least(toDate(ifNull(decided_at, {now:DateTime64(3)}), {tz:String}), toDate({now:DateTime64(3)}, {tz:String}),
                {to:Date} - 1) AS last_day
        FROM review_cycles
        WHERE requested_at < {now:DateTime64(3)}
    )
),
pending AS
(
    SELECT b.period AS period,
        multiIf({group_by:String} = 'client', c.client_id, {group_by:String} = 'project', c.project_id, '') AS grp,
        toNullable(dateDiff('millisecond', c.requested_at, b.cutoff) / 3600000) AS age_hours
    FROM pending_candidates AS c
    INNER JOIN pending_buckets AS b ON c.period = b.period
    WHERE c.requested_at < b.cutoff AND (c.decided_at IS NULL OR c.decided_at >= b.cutoff)
    UNION ALL
    SELECT period, '', NULL
    FROM pending_buckets
    WHERE {group_by:String} = ''
)
SELECT period, grp, count(age_hours) AS value, max(age_hours) AS oldest_age_hours, countIf(age_hours > {stuck_hours:UInt64}) AS stuck
FROM pending
GROUP BY period, grp
ORDER BY period, grp
