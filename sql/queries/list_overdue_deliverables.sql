-- list_overdue_deliverables: the deliverables overdue now, whatever range a page
-- shows: not delivered, and the end of their due date + grace days (in the org's time
-- zone) has passed at {now}, as kpi_on_time_rate.sql counts an open-overdue one. The
-- delivery page lists them "as of now"; the most days overdue first, ties by due date
-- and id.
-- Parameters: org String, tz String, client String, project String, person String
--   (delivery_items' filters; '' for all), grace_days UInt64, now DateTime64(3),
--   limit UInt64 (rows returned).
-- Columns: deliverable_id String, name String ('' when unknown), client_id String,
--   due_date Date, days_late Int64 (today in the org's time zone − due date), total
--   UInt64 (overdue deliverables in all, before the limit).
WITH {{delivery_items}},
overdue AS
(
    SELECT deliverable_id, client_id, assumeNotNull(due_date) AS due,
        dateDiff('day', due, toDate({now:DateTime64(3)}, {tz:String})) AS days_late
    FROM delivery_items
    WHERE delivered_at IS NULL AND due_date IS NOT NULL
      AND toDateTime(assumeNotNull(due_date) + {grace_days:UInt64} + 1, {tz:String}) <= {now:DateTime64(3)}
),
deliverable_names AS
(
    -- one name per id, as delivery_items ids are external ids
    SELECT external_id, any(name) AS name
    FROM ops.deliverables FINAL
    WHERE org_id = {org:String}
    GROUP BY external_id
)
SELECT o.deliverable_id AS deliverable_id, n.name AS name, o.client_id AS client_id, o.due AS due_date,
    o.days_late AS days_late, count() OVER () AS total
FROM overdue AS o
LEFT JOIN deliverable_names AS n ON o.deliverable_id = n.external_id
ORDER BY days_late DESC, due_date, deliverable_id
LIMIT {limit:UInt64}
