-- kpi: qa_coverage
-- title: QA coverage
-- unit: ratio
-- group_by: client, project
-- filters: client, project
-- version: 1
-- description: Deliverables that passed internal review before the client first saw them ÷ deliverables that reached client review.
-- Parameters: org, from, to, group_by, interval, client, project, tz.
--   From the deliverables' phase segments (fragments/loop_segments.sql). A deliverable
--   counts in the bucket of the day (org time zone) it first entered client_review, when
--   that day is in [from, to). It is covered when the phase it came from into that first
--   client_review (skipping time between phases) was internal_review: the version the
--   client first saw had passed review. A deliverable sent back from internal_review to
--   production and then straight to the client is a miss.
-- Columns: period Date, grp String, value Nullable(Float64), covered UInt64,
--   reached_client_review UInt64, missed UInt64.
WITH {{loop_segments}},
firsts AS
(
    SELECT deliverable_id, any(grp) AS grp, min(entered_at) AS first_review,
        argMin(prev_phase, entered_at) = 'internal_review' AS is_covered,
        toDate(first_review, {tz:String}) AS day
    FROM loop_segments
    WHERE phase = 'client_review'
    GROUP BY deliverable_id
    HAVING day >= {from:Date} AND day < {to:Date}
)
SELECT multiIf({interval:String} = 'day', day, {interval:String} = 'week', toMonday(day),
        {interval:String} = 'month', toStartOfMonth(day), {from:Date}) AS period,
    grp, if(count() = 0, NULL, countIf(is_covered) / count()) AS value,
    countIf(is_covered) AS covered, count() AS reached_client_review, countIf(NOT is_covered) AS missed
FROM firsts
GROUP BY period, grp
ORDER BY period, grp
