-- list_stuck_reviews: the client reviews still waiting for a decision, oldest
-- first, for the approvals page's list of what is stuck. The same snapshot as the
-- pending_reviews KPI: a review cycle (fragments/review_cycles.sql) is waiting when it
-- was requested before the cutoff, min(start of {to} in the org's time zone, now), and
-- not decided by it; nothing is waiting when the range starts after now.
-- Parameters: org {org:String}, from {from:Date}, to {to:Date}, now {now:DateTime64(3)},
--   tz {tz:String}, client {client:String} and project {project:String} ('' for all),
--   limit {limit:UInt32} (rows returned), and the fragment's org_workdays {UInt64},
--   day_start and day_end {UInt64} (its business hours; not read here).
-- Columns: deliverable_id String, deliverable String (its name; '' when it has no
--   deliverable record), client_id String, project_id String,
--   requested_at DateTime64(3, 'UTC') (when the client was first asked),
--   age_hours Float64 (calendar hours waited by the cutoff), waiting UInt64 and stuck UInt64
--   (every waiting review, and those over stuck_hours {stuck_hours:UInt64}, before the limit:
--   pending_reviews' value and stuck for the same request, ungrouped; a drill page reads them
--   here instead of asking the KPI too).
WITH {{review_cycles}},
stuck_names AS
(
    SELECT external_id AS deliverable_id, any(name) AS name
    FROM ops.deliverables FINAL
    WHERE org_id = {org:String}
    GROUP BY external_id
)
SELECT c.deliverable_id AS deliverable_id, n.name AS deliverable, c.client_id AS client_id,
    c.project_id AS project_id, c.requested_at AS requested_at,
    dateDiff('millisecond', c.requested_at, least(toDateTime({to:Date}, {tz:String}), {now:DateTime64(3)})) / 3600000 AS age_hours,
    count() OVER () AS waiting, countIf(age_hours > {stuck_hours:UInt64}) OVER () AS stuck
FROM review_cycles AS c
LEFT JOIN stuck_names AS n ON n.deliverable_id = c.deliverable_id
WHERE toDateTime({from:Date}, {tz:String}) < {now:DateTime64(3)}
  AND c.requested_at < least(toDateTime({to:Date}, {tz:String}), {now:DateTime64(3)})
  AND (c.decided_at IS NULL OR c.decided_at >= least(toDateTime({to:Date}, {tz:String}), {now:DateTime64(3)}))
ORDER BY c.requested_at, c.deliverable_id
LIMIT {limit:UInt32}
