-- loop_deliverables: the org's deliverables (spec kpis.md §10) with when each
-- appeared and whether the operating loop left evidence of its start.
--   anchor_day: the day (org time zone) the deliverable appeared: its first
--     task event, else its updated_at, else the day it was ingested; the
--     trust KPIs take the deliverables that appeared in [from, to).
--   has_due: it has a due date. has_intake: an event of it carries the intake
--     or brief phase.
-- Needs: org, tz.
-- Columns of loop_deliverables: deliverable_id, anchor_day Date, has_due UInt8,
--   has_intake UInt8, delivered_at Nullable(DateTime64(3, 'UTC')).
loop_deliverable_events AS
(
    SELECT deliverable_id, min(occurred_at) AS first_event, max(phase IN ('intake', 'brief')) AS has_intake
    FROM ops.task_events FINAL
    WHERE org_id = {org:String} AND deliverable_id != ''
    GROUP BY deliverable_id
),
loop_deliverables AS
(
    SELECT dv.external_id AS deliverable_id,
        toDate(multiIf(ev.deliverable_id != '', ev.first_event, isNotNull(dv.updated_at), assumeNotNull(dv.updated_at),
            dv.ingested_at), {tz:String}) AS anchor_day,
        isNotNull(dv.due_date) AS has_due, ev.has_intake = 1 AS has_intake, dv.delivered_at AS delivered_at
    FROM ops.deliverables AS dv FINAL
    LEFT JOIN loop_deliverable_events AS ev ON ev.deliverable_id = dv.external_id
    WHERE dv.org_id = {org:String}
)
