-- kpi: maturity_level
-- title: Operating maturity level
-- unit: score
-- group_by:
-- filters:
-- version: 2
-- description: Where the org stands on the 1–5 operating model scale (Ad-hoc, Repeatable, Defined, Managed, Optimized), from evidence in its own data, with each condition reported as held (1) or not (0) so the next thing to fix is explicit.
-- Parameters: org, from, to, interval, now, tz, grace_days, group_by, client, project, person.
--   Each level needs the one below it. The conditions:
--   - l2_due_and_intake: at least half of the deliverables that appeared in [from, to)
--     (fragments/loop_deliverables.sql) have both a due date and an event in the intake or
--     brief phase ("usually" = 50% or more);
--   - l3_canonical_loop: at least 80% of the deliverables delivered in [from, to)
--     (delivered_at, else the first entry into delivered, org time zone) followed the loop
--     (fragments/loop_segments.sql): they entered intake or brief, production,
--     internal_review, client_review and delivered, the first entry of each in that order,
--     and came into their first client_review from internal_review (as qa_coverage);
--   - l4_fresh_data: the newest time entry was ingested within 7 days before now;
--   - l4_alert_thresholds: the org has at least three alert thresholds set;
--   - l5_quarterly_retros: a retro held in each of the last two complete calendar quarters
--     before min(to, the org's today + 1): a retro record of that quarter (ops.retros, saved
--     on the Retros page or PUT /api/v1/retros/{quarter}) held before min(to, today + 1), or
--     a retro_held task event from a tool dated in that quarter (the import formats,
--     docs/import.md, accept them, so they keep counting);
--   - l5_retro_actions_closed: at least one action of those two quarters' retros
--     (ops.report_actions, origin retro, period the quarter) was closed before min(to, now):
--     a retro that produces real changes;
--   - l5_kpis_improved: over those two quarters the on-time rate (spec §3 over deliverables
--     due in the quarter, open-overdue at the quarter's end counted) did not fall, and the
--     write-off hours rate did not rise; an approximation of "the KPIs behind the alerts
--     improved": it checks those two KPIs whatever the thresholds name, and the write-off
--     rate is in hours from (a) written-off billable entries and (b) write-off adjustments
--     that carry hours, without invoice-line shortfalls or over-service. Both quarters need
--     data for both rates.
--   Two queries answer it at once: this one (layers 4 and 5 and their evidence) and
--   maturity_loop.sql (layers 2 and 3: the deliverables and their loop); metrics/maturity.go
--   joins them into the columns below and sets value. Planned on a core each, the two
--   halves answer sooner than one query of both (docs/benchmarks.md, issue 19).
-- Columns: period Date (bucket of from), grp String (always ''), value UInt8 (level 1–5),
--   l2_due_and_intake, l3_canonical_loop, l4_fresh_data, l4_alert_thresholds,
--   l5_quarterly_retros, l5_retro_actions_closed, l5_kpis_improved (UInt8 0/1), deliverables
--   UInt64, due_and_intake_ratio Nullable(Float64), delivered UInt64, canonical_loop_ratio
--   Nullable(Float64), last_ingested_at Nullable(DateTime64), alert_thresholds UInt64,
--   prev_quarter Date, last_quarter Date, prev_retros, last_retros (records and events),
--   retro_actions, retro_actions_closed UInt64 (those two quarters' retro actions),
--   prev_on_time_rate, last_on_time_rate, prev_write_off_hours_rate,
--   last_write_off_hours_rate (Nullable(Float64)).
WITH {{delivery_items}},
quarters AS
(
    SELECT toStartOfQuarter(least({to:Date}, toDate({now:DateTime64(3)}, {tz:String}) + 1)) AS q2,
        addMonths(q2, -3) AS last_q, addMonths(q2, -6) AS prev_q
),
entry_evidence AS
(
    -- the newest ingest (any version of any entry, so no FINAL: a tombstone
    -- is fresh data too), and the write-off hours rate of the last two
    -- quarters ((a) written-off billable entries ÷ billable hours)
    WITH toStartOfQuarter(least({to:Date}, toDate({now:DateTime64(3)}, {tz:String}) + 1)) AS q2,
        addMonths(q2, -3) AS last_q, addMonths(q2, -6) AS prev_q
    SELECT (SELECT if(count() = 0, NULL, max(ingested_at)) FROM ops.time_entries WHERE org_id = {org:String}) AS last_ingested,
        sumIf(toDecimal128(hours, 10), billing_status = 'written_off' AND date < last_q) AS prev_off,
        sumIf(toDecimal128(hours, 10), date < last_q) AS prev_billable,
        sumIf(toDecimal128(hours, 10), billing_status = 'written_off' AND date >= last_q) AS last_off,
        sumIf(toDecimal128(hours, 10), date >= last_q) AS last_billable
    FROM ops.time_entries FINAL
    WHERE org_id = {org:String} AND billable = 1 AND date >= prev_q AND date < q2
),
adjustment_evidence AS
(
    -- (b) write-off adjustments that carry hours, per quarter of their date
    SELECT sumIf(toDecimal128(ifNull(a.hours, 0), 10), a.date >= q.prev_q AND a.date < q.last_q) AS prev_off,
        sumIf(toDecimal128(ifNull(a.hours, 0), 10), a.date >= q.last_q AND a.date < q.q2) AS last_off
    FROM ops.adjustments AS a FINAL
    CROSS JOIN quarters AS q
    WHERE a.org_id = {org:String} AND a.kind = 'write_off'
),
on_time AS
(
    -- spec §3 per quarter: on time ÷ (delivered + open-overdue at the quarter's end or now)
    SELECT countIf(in_prev AND on_time) AS prev_on_time, countIf(in_prev AND (delivered OR overdue_prev)) AS prev_judged,
        countIf(NOT in_prev AND on_time) AS last_on_time, countIf(NOT in_prev AND (delivered OR overdue_last)) AS last_judged
    FROM
    (
        SELECT assumeNotNull(i.due_date) AS due, due < q.last_q AS in_prev, isNotNull(i.delivered_at) AS delivered,
            delivered AND i.delivered_day <= due + {grace_days:UInt64} AS on_time,
            toDateTime(due + {grace_days:UInt64} + 1, {tz:String}) AS deadline,
            NOT delivered AND deadline <= least(toDateTime(q.last_q, {tz:String}), {now:DateTime64(3)}) AS overdue_prev,
            NOT delivered AND deadline <= least(toDateTime(q.q2, {tz:String}), {now:DateTime64(3)}) AS overdue_last
        FROM delivery_items AS i
        CROSS JOIN quarters AS q
        WHERE isNotNull(i.due_date) AND i.due_date >= q.prev_q AND i.due_date < q.q2
    )
),
retros AS
(
    -- per quarter: the retro record of it (held by the range's end: a Q4 retro held
    -- on 15 January is not yet held for a range ending 10 January), and the
    -- retro_held events of tools dated in it
    SELECT countIf(r.q = q.prev_q) AS prev_n, countIf(r.q = q.last_q) AS last_n
    FROM
    (
        SELECT quarter AS q
        FROM ops.retros FINAL
        WHERE org_id = {org:String} AND held_on < least({to:Date}, toDate({now:DateTime64(3)}, {tz:String}) + 1)
        UNION ALL
        SELECT toStartOfQuarter(toDate(occurred_at, {tz:String})) AS q
        FROM ops.task_events FINAL
        WHERE org_id = {org:String} AND type = 'retro_held'
    ) AS r
    CROSS JOIN quarters AS q
),
retro_actions AS
(
    -- the two quarters' retro actions (FINAL: the latest version, none removed), and
    -- those closed before the range's end or now
    SELECT count() AS n,
        countIf(a.status = 'closed' AND a.closed_at < least(toDateTime({to:Date}, {tz:String}), {now:DateTime64(3)})) AS closed
    FROM ops.report_actions AS a FINAL
    CROSS JOIN quarters AS q
    WHERE a.org_id = {org:String} AND a.origin = 'retro' AND (a.period = q.prev_q OR a.period = q.last_q)
),
evidence AS
(
    SELECT e.last_ingested AS last_ingested_at,
        ifNull((SELECT count() FROM ops.alert_thresholds FINAL WHERE org_id = {org:String}), 0) AS alert_thresholds,
        q.prev_q AS prev_quarter, q.last_q AS last_quarter, r.prev_n AS prev_retros, r.last_n AS last_retros,
        ra.n AS retro_actions, ra.closed AS retro_actions_closed,
        if(o.prev_judged = 0, NULL, o.prev_on_time / o.prev_judged) AS prev_on_time_rate,
        if(o.last_judged = 0, NULL, o.last_on_time / o.last_judged) AS last_on_time_rate,
        if(e.prev_billable = 0, NULL, toFloat64(e.prev_off + a.prev_off) / toFloat64(e.prev_billable)) AS prev_write_off_hours_rate,
        if(e.last_billable = 0, NULL, toFloat64(e.last_off + a.last_off) / toFloat64(e.last_billable)) AS last_write_off_hours_rate
    FROM entry_evidence AS e
    CROSS JOIN adjustment_evidence AS a
    CROSS JOIN on_time AS o
    CROSS JOIN retros AS r
    CROSS JOIN retro_actions AS ra
    CROSS JOIN quarters AS q
)
SELECT multiIf({interval:String} = 'day', {from:Date}, {interval:String} = 'week', toMonday({from:Date}),
        {interval:String} = 'month', toStartOfMonth({from:Date}), {from:Date}) AS period,
    '' AS grp,
    l4_fresh_data, l4_alert_thresholds, l5_quarterly_retros, l5_retro_actions_closed, l5_kpis_improved,
    last_ingested_at, alert_thresholds,
    prev_quarter, last_quarter, prev_retros, last_retros, retro_actions, retro_actions_closed, prev_on_time_rate, last_on_time_rate,
    prev_write_off_hours_rate, last_write_off_hours_rate
FROM
(
    -- the conditions in a layer of their own, so the level does not copy them
    SELECT *,
        toUInt8(ifNull(last_ingested_at >= {now:DateTime64(3)} - INTERVAL 7 DAY, 0)) AS l4_fresh_data,
        toUInt8(alert_thresholds >= 3) AS l4_alert_thresholds,
        toUInt8(prev_retros > 0 AND last_retros > 0) AS l5_quarterly_retros,
        toUInt8(retro_actions_closed > 0) AS l5_retro_actions_closed,
        toUInt8(ifNull(last_on_time_rate >= prev_on_time_rate AND last_write_off_hours_rate <= prev_write_off_hours_rate, 0))
            AS l5_kpis_improved
    FROM evidence
)
