-- list_late_deliverables: the late and overdue deliverables the delivery
-- page lists, judged as kpi_on_time_rate.sql judges them: due in [from, to);
-- late = delivered after the end of the due date + grace days; overdue = not
-- delivered and that deadline passed at min(to, now). So the list is the part
-- of the on-time rate's denominator that was not on time. Open ones first
-- (still hurting), then the latest; ties by due date and id.
-- Parameters: org String, tz String, client String, project String, person
--   String (delivery_items' filters; '' for all), from Date, to Date,
--   grace_days UInt64, now DateTime64(3), limit UInt64 (rows returned).
-- Columns: deliverable_id String, name String ('' when unknown), client_id
--   String, due_date Date, delivered_day Nullable(Date) (NULL: open),
--   days_late Int64 (delivery day − due date; open: today in the org's time
--   zone − due date), total UInt64 (late and overdue deliverables in all,
--   before the limit).
WITH {{delivery_items}},
late AS
(
    SELECT deliverable_id, client_id, assumeNotNull(due_date) AS due, delivered_day,
        delivered_at IS NOT NULL AS is_delivered,
        dateDiff('day', due, if(is_delivered, assumeNotNull(delivered_day), toDate({now:DateTime64(3)}, {tz:String}))) AS days_late
    FROM delivery_items
    WHERE due_date >= {from:Date} AND due_date < {to:Date}
      AND if(is_delivered, assumeNotNull(delivered_day) > due + {grace_days:UInt64},
          toDateTime(due + {grace_days:UInt64} + 1, {tz:String})
              <= least(toDateTime({to:Date}, {tz:String}), {now:DateTime64(3)}))
),
deliverable_names AS
(
    -- one name per id, as delivery_items ids are external ids
    SELECT external_id, any(name) AS name
    FROM ops.deliverables FINAL
    WHERE org_id = {org:String}
    GROUP BY external_id
)
SELECT l.deliverable_id AS deliverable_id, n.name AS name, l.client_id AS client_id, l.due AS due_date,
    l.delivered_day AS delivered_day, l.days_late AS days_late, count() OVER () AS total
FROM late AS l
LEFT JOIN deliverable_names AS n ON l.deliverable_id = n.external_id
ORDER BY l.is_delivered, days_late DESC, due_date, deliverable_id
LIMIT {limit:UInt64}
