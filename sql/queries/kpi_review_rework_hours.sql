-- kpi: review_rework_hours
-- title: Review rework hours
-- unit: hours
-- group_by: client, project, person
-- filters: client, project, person
-- version: 1
-- description: Hours logged on a deliverable on or after the day its client first asked for changes: the cost of extra revision rounds. deliverable_hours is all the hours logged on deliverables, for scale.
-- Parameters: org, from, to, group_by, interval, client, project, person, tz (role and team
--   are bound empty for the entries fragment).
--   Time entries carry a date, not a time, so the whole day of the first
--   client_changes_requested (in the org's time zone) counts as rework. Entries are those
--   of fragments/entries.sql with a deliverable; period is the bucket of the entry date.
-- Columns: period Date, grp String, value Decimal (rework hours), deliverable_hours Decimal,
--   reworked_deliverables UInt64 (deliverables with rework hours).
WITH {{entries}},
first_changes AS
(
    SELECT deliverable_id, toDate(min(occurred_at), {tz:String}) AS first_day
    FROM ops.task_events FINAL
    WHERE org_id = {org:String} AND type = 'client_changes_requested' AND deliverable_id != ''
      -- as in review_cycles: a deliverable whose newest version is a tombstone takes its
      -- events with it (FINAL hides tombstones: look for tombstone rows with no live version)
      AND deliverable_id NOT IN
      (
          SELECT external_id FROM ops.deliverables
          WHERE org_id = {org:String} AND deleted = 1
            AND external_id NOT IN (SELECT external_id FROM ops.deliverables FINAL WHERE org_id = {org:String})
      )
    GROUP BY deliverable_id
),
rework AS
(
    SELECT e.period AS period, e.grp AS grp, e.deliverable_id AS deliverable_id, toDecimal128(e.hours, 10) AS hours,
        fc.deliverable_id != '' AND e.date >= fc.first_day AS is_rework
    FROM entries AS e
    LEFT JOIN first_changes AS fc ON e.deliverable_id = fc.deliverable_id
    WHERE e.deliverable_id != ''
)
SELECT period, grp, sumIf(hours, is_rework) AS value, sum(hours) AS deliverable_hours,
    uniqExactIf(deliverable_id, is_rework) AS reworked_deliverables
FROM rework
GROUP BY period, grp
ORDER BY period, grp
