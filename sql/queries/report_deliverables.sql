-- report_deliverables: the month's deliverables for a client's monthly
-- report: those due in [from, to) and those delivered in it (as a date in
-- the org's time zone), each judged as kpi_on_time_rate.sql judges one:
-- on time = delivered by the end of due date + grace days; late = delivered
-- after it; overdue = not delivered and that deadline passed at the cutoff,
-- min(to, now); open = not delivered, deadline not passed (or no due date).
-- slip_days is kpi_slip_days.sql's (delivery day − due date) for a late one,
-- and the days overdue at the cutoff for an overdue one. revision_rounds is
-- kpi_revision_rounds.sql's count: client_changes_requested decisions of the
-- deliverable's review timeline (fragments/review_cycles.sql) before the
-- cutoff. Rows by due date (none last), then name and id.
-- Parameters: org String, tz String, client String, project String, person
--   String (the fragments' filters; '' for all), from Date, to Date,
--   grace_days UInt64, now DateTime64(3), org_workdays UInt64, day_start
--   UInt64, day_end UInt64 (named by review_cycles).
-- Columns: deliverable_id String, name String ('' when unknown), project_id
--   String, due_date Nullable(Date), delivered_day Nullable(Date), status
--   String (on_time, late, overdue, open), slip_days Nullable(Int64),
--   revision_rounds UInt64.
WITH {{delivery_items}},
{{review_cycles}},
cutoff AS
(
    SELECT least(toDateTime({to:Date}, {tz:String}), {now:DateTime64(3)}) AS at
),
items AS
(
    SELECT deliverable_id, project_id, due_date, delivered_day, delivered_at IS NOT NULL AS is_delivered,
        multiIf(is_delivered AND due_date IS NULL, 'on_time',
            is_delivered AND assumeNotNull(delivered_day) <= assumeNotNull(due_date) + {grace_days:UInt64}, 'on_time',
            is_delivered, 'late',
            due_date IS NOT NULL AND toDateTime(assumeNotNull(due_date) + {grace_days:UInt64} + 1, {tz:String})
                <= (SELECT at FROM cutoff), 'overdue',
            'open') AS status,
        multiIf(status = 'late', dateDiff('day', assumeNotNull(due_date), assumeNotNull(delivered_day)),
            status = 'overdue', dateDiff('day', assumeNotNull(due_date), toDate((SELECT at FROM cutoff), {tz:String})),
            NULL) AS slip_days
    FROM delivery_items
    WHERE (due_date >= {from:Date} AND due_date < {to:Date})
       OR (delivered_day >= {from:Date} AND delivered_day < {to:Date})
),
rounds AS
(
    SELECT deliverable_id,
        toUInt64(arrayCount((x, type) -> type = 'client_changes_requested' AND x < (SELECT at FROM cutoff),
            decision_times, decision_types)) AS n
    FROM review_timelines
),
deliverable_names AS
(
    -- one name per id, as delivery_items ids are external ids
    SELECT external_id, any(name) AS name
    FROM ops.deliverables FINAL
    WHERE org_id = {org:String}
    GROUP BY external_id
)
SELECT i.deliverable_id AS deliverable_id, n.name AS name, i.project_id AS project_id, i.due_date AS due_date,
    if(i.is_delivered, i.delivered_day, NULL) AS delivered_day, i.status AS status, i.slip_days AS slip_days,
    ifNull(r.n, 0) AS revision_rounds
FROM items AS i
LEFT JOIN deliverable_names AS n ON i.deliverable_id = n.external_id
LEFT JOIN rounds AS r ON i.deliverable_id = r.deliverable_id
ORDER BY i.due_date IS NULL, i.due_date, name, deliverable_id
SETTINGS join_use_nulls = 0
