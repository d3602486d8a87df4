-- kpi: revision_rounds
-- title: Revision rounds per deliverable
-- unit: count
-- group_by: client, project
-- filters: client, project
-- version: 1
-- description: How many times clients asked for changes per deliverable, for deliverables with a client decision in the range: the mean rounds per deliverable, with the total rounds and the distribution (0, 1, 2, 3 or more rounds).
-- Parameters: org, from, to, group_by, interval, client, project, tz (the fragment also
--   names org_workdays, day_start, day_end).
--   A deliverable counts once, in the period of its last decision in the range, with every
--   client_changes_requested it had up to that decision, including those before the range
--   (later ones are not counted). The mean is Σ rounds ÷ deliverables.
-- Columns: period Date, grp String, value Nullable(Float64) (mean rounds), rounds UInt64,
--   deliverables UInt64, zero_rounds, one_round, two_rounds, three_plus_rounds UInt64.
WITH {{review_cycles}},
rounds AS
(
    SELECT client_id, project_id,
        arrayFilter(x -> toDate(x, {tz:String}) >= {from:Date} AND toDate(x, {tz:String}) < {to:Date}, decision_times) AS in_range,
        arrayMax(in_range) AS last_decision,
        toDate(last_decision, {tz:String}) AS day,
        toUInt64(arrayCount((x, type) -> type = 'client_changes_requested' AND x <= last_decision, decision_times, decision_types)) AS n
    FROM review_timelines
    WHERE notEmpty(in_range)
)
SELECT multiIf({interval:String} = 'day', day, {interval:String} = 'week', toMonday(day),
        {interval:String} = 'month', toStartOfMonth(day), {from:Date}) AS period,
    multiIf({group_by:String} = 'client', client_id, {group_by:String} = 'project', project_id, '') AS grp,
    if(count() = 0, NULL, sum(n) / count()) AS value, sum(n) AS rounds, count() AS deliverables,
    countIf(n = 0) AS zero_rounds, countIf(n = 1) AS one_round, countIf(n = 2) AS two_rounds, countIf(n >= 3) AS three_plus_rounds
FROM rounds
GROUP BY period, grp
ORDER BY period, grp
