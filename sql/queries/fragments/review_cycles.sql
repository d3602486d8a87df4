-- review_timelines and review_cycles: client review cycles (spec kpis.md §5).
-- A cycle opens at a client_review_requested event and closes at the
-- deliverable's next client decision (client_approved or
-- client_changes_requested) at or after it. A second request while a cycle is
-- open does not start another cycle: the client has been waiting since the
-- first. A decision with no open cycle closes nothing. Events of a tombstoned
-- deliverable are dropped with it.
--   client_id, project_id: per deliverable, the newest non-empty ones its events
--     carry, else the deliverable's (its client, else its project's client).
--   business_hours: the part of the cycle inside the org's workdays (bit 0 =
--     Monday) between day_start and day_end minutes, local time in the org's zone
--     (so a cycle across a night or a weekend counts only working time, and a
--     daylight-saving change moves the window with the wall clock). The org
--     calendar's holidays are not workdays.
-- Needs: org, tz, client, project, org_workdays, day_start, day_end.
-- Columns of review_timelines (one row per deliverable with review events, after the
--   filters): deliverable_id, client_id, project_id, in time order: event_times
--   Array(DateTime64(3, 'UTC')) and event_decisions Array(UInt8) (1 = a decision) of all
--   its review events, decision_times and decision_types Array(String) of its decisions.
-- Columns of review_cycles: deliverable_id, client_id, project_id,
--   requested_at DateTime64(3, 'UTC'), decided_at Nullable(DateTime64(3, 'UTC')) (null: open),
--   decision String ('' when open), calendar_hours and business_hours Nullable(Float64).
-- the org calendar's holidays that fall on workdays, which business hours skip
(
    SELECT groupArray(date)
    FROM ops.holidays FINAL
    WHERE org_id = {org:String} AND calendar = '' AND bitTest({org_workdays:UInt64}, toDayOfWeek(date) - 1)
) AS review_holidays,
-- the org's projects and their clients, as one scalar (cheaper than a join)
(
    SELECT (groupArray(external_id), groupArray(client_id))
    FROM ops.projects FINAL
    WHERE org_id = {org:String}
) AS review_projects,
review_timelines AS
(
    SELECT * FROM
    (
        SELECT t.deliverable_id AS deliverable_id,
            if(t.event_project != '', t.event_project, d.project_id) AS project_id,
            multiIf(t.event_client != '', t.event_client, d.client_id != '', d.client_id,
                transform(if(t.event_project != '', t.event_project, d.project_id), review_projects.1, review_projects.2, '')) AS client_id,
            t.event_times AS event_times, t.event_decisions AS event_decisions,
            t.decision_times AS decision_times, t.decision_types AS decision_types
        FROM
        (
            SELECT deliverable_id,
                -- in time order; at one instant a request sorts before a decision (which closes
                -- it), and an approval before a request for changes
                arraySort(groupArray((occurred_at, toUInt8(type != 'client_review_requested'), type))) AS events,
                arrayMap(x -> x.1, events) AS event_times,
                arrayMap(x -> x.2, events) AS event_decisions,
                arrayMap(x -> x.1, arrayFilter(x -> x.2 = 1, events)) AS decision_times,
                arrayMap(x -> x.3, arrayFilter(x -> x.2 = 1, events)) AS decision_types,
                argMaxIf(client_id, occurred_at, client_id != '') AS event_client,
                argMaxIf(project_id, occurred_at, project_id != '') AS event_project
            FROM ops.task_events FINAL
            WHERE org_id = {org:String} AND deliverable_id != ''
              AND type IN ('client_review_requested', 'client_approved', 'client_changes_requested')
            GROUP BY deliverable_id
        ) AS t
        ANY LEFT JOIN
        (
            SELECT external_id AS deliverable_id, client_id, project_id
            FROM ops.deliverables FINAL
            WHERE org_id = {org:String}
        ) AS d ON t.deliverable_id = d.deliverable_id
        -- a deliverable whose newest version is a tombstone takes its events with it; FINAL
        -- hides tombstones, so look for tombstone rows of ids with no live version
        WHERE NOT (d.deliverable_id = '' AND t.deliverable_id IN
            (SELECT external_id FROM ops.deliverables WHERE org_id = {org:String} AND deleted = 1))
    )
    WHERE ({client:String} = '' OR client_id = {client:String})
      AND ({project:String} = '' OR project_id = {project:String})
),
review_cycles AS
(
    SELECT deliverable_id, client_id, project_id, requested_at,
        if(k < length(decision_times), decision_times[k + 1], NULL) AS decided_at,
        if(k < length(decision_times), decision_types[k + 1], '') AS decision,
        dateDiff('millisecond', requested_at, decided_at) / 3600000 AS calendar_hours,
        -- business time = B(decided_at) − B(requested_at), where B(x) is the business time from
        -- Monday 1970-01-05 to x: whole workdays before x's local date (full weeks × workdays
        -- a week, plus the workdays earlier in x's week, less the holidays on workdays before
        -- that date) × the day's window, plus the part of x's own day inside the window when
        -- that day is a workday and no holiday. Local wall-clock time.
        arrayMap(x -> (intDiv(dateDiff('day', toDate('1970-01-05'), toDate(x, {tz:String})), 7)
                    * bitCount(bitAnd({org_workdays:UInt64}, 127))
                + bitCount(bitAnd({org_workdays:UInt64},
                    bitShiftLeft(toUInt64(1), toDayOfWeek(toDate(x, {tz:String})) - 1) - 1))
                - arrayCount(h -> h < toDate(x, {tz:String}), review_holidays))
                * ({day_end:UInt64} - {day_start:UInt64}) * 60000
            + if(bitTest({org_workdays:UInt64}, toDayOfWeek(toDate(x, {tz:String})) - 1)
                    AND NOT has(review_holidays, toDate(x, {tz:String})),
                least(greatest(toHour(x, {tz:String}) * 3600000 + toMinute(x, {tz:String}) * 60000
                    + toSecond(x, {tz:String}) * 1000 + toUnixTimestamp64Milli(x) % 1000,
                    {day_start:UInt64} * 60000), {day_end:UInt64} * 60000) - {day_start:UInt64} * 60000, 0),
            [requested_at, ifNull(decided_at, requested_at)]) AS marks,
        if(decided_at IS NULL, NULL,
            if({day_end:UInt64} > {day_start:UInt64}, toInt64(marks[2]) - toInt64(marks[1]), 0) / 3600000) AS business_hours
    FROM
    (
        SELECT deliverable_id, client_id, project_id, decision_times, decision_types,
            -- decisions before each event: requests after the k-th decision form cycle k, which
            -- the (k+1)-th decision closes; the cycle starts at the run's first request
            arrayMap((c, d) -> c - d, arrayCumSum(event_decisions), event_decisions) AS before,
            arrayPushFront(arrayPopBack(event_decisions), 1) AS follows_decision,
            arrayFilter((x, d, f) -> d = 0 AND f = 1, event_times, event_decisions, follows_decision) AS starts,
            arrayFilter((b, d, f) -> d = 0 AND f = 1, before, event_decisions, follows_decision) AS start_ks
        FROM review_timelines
    )
    ARRAY JOIN starts AS requested_at, start_ks AS k
)
