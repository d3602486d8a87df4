-- maturity_loop: the loop evidence of maturity_level (kpi_maturity_level.sql, whose header
-- defines the conditions): of the deliverables that appeared in [from, to)
-- (fragments/loop_deliverables.sql), how many have a due date and an intake or brief event
-- (l2_due_and_intake); of those delivered in it, how many followed the loop
-- (l3_canonical_loop). A query of its own, run beside the KPI's query and joined in Go
-- (metrics/maturity.go): the engine plans each query on one core, and the two halves
-- planned at once on two cores answer sooner than one query twice their size.
-- Parameters: org, from, to, tz, group_by, client, project (the fragment's; maturity_level
--   takes no filter, so they are empty).
-- Columns: appeared_n UInt64, appeared_ok UInt64, done_n UInt64, done_ok UInt64.
WITH {{loop_segments}}, {{loop_deliverables}},
loop_paths AS
(
    SELECT deliverable_id,
        minIf(entered_at, phase IN ('intake', 'brief')) AS f_start, minIf(entered_at, phase = 'production') AS f_prod,
        minIf(entered_at, phase = 'internal_review') AS f_qa, minIf(entered_at, phase = 'client_review') AS f_client,
        minIf(entered_at, phase = 'delivered') AS f_done,
        countIf(phase IN ('intake', 'brief')) > 0 AND countIf(phase = 'production') > 0
            AND countIf(phase = 'internal_review') > 0 AND countIf(phase = 'client_review') > 0
            AND countIf(phase = 'delivered') > 0
            AND f_start < f_prod AND f_prod < f_qa AND f_qa < f_client AND f_client < f_done
            AND argMinIf(prev_phase, entered_at, phase = 'client_review') = 'internal_review' AS canonical,
        countIf(phase = 'delivered') > 0 AS reached_done
    FROM loop_phase_segments
    GROUP BY deliverable_id
)
-- L2 over the deliverables that appeared in [from, to), L3 over those delivered in it
SELECT countIf(appeared) AS appeared_n, countIf(appeared AND has_due AND has_intake) AS appeared_ok,
    countIf(done) AS done_n, countIf(done AND canonical) AS done_ok
FROM
(
    SELECT d.has_due AS has_due, d.has_intake AS has_intake, p.canonical AS canonical,
        d.anchor_day >= {from:Date} AND d.anchor_day < {to:Date} AS appeared,
        toDate(if(isNotNull(d.delivered_at), assumeNotNull(d.delivered_at), p.f_done), {tz:String}) AS done_day,
        (isNotNull(d.delivered_at) OR p.reached_done) AND done_day >= {from:Date} AND done_day < {to:Date} AS done
    FROM loop_deliverables AS d
    LEFT JOIN loop_paths AS p ON p.deliverable_id = d.deliverable_id
) AS x
