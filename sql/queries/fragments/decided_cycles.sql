-- decided_cycles: the review cycles (fragments/review_cycles.sql) whose
-- decision falls in [from, to) in the org's time zone, with their calendar
-- and business hours, period (the decision's date) and grp, for the
-- approval-time percentiles. Includes review_cycles.
-- Needs: those of review_cycles, and from, to, interval, group_by.
{{review_cycles}},
decided_cycles AS
(
    SELECT multiIf({interval:String} = 'day', day, {interval:String} = 'week', toMonday(day),
            {interval:String} = 'month', toStartOfMonth(day), {from:Date}) AS period,
        multiIf({group_by:String} = 'client', client_id, {group_by:String} = 'project', project_id, '') AS grp,
        hours, work_hours
    FROM
    (
        SELECT toDate(assumeNotNull(decided_at), {tz:String}) AS day, client_id, project_id,
            assumeNotNull(calendar_hours) AS hours, assumeNotNull(business_hours) AS work_hours
        FROM review_cycles
        WHERE decided_at IS NOT NULL AND day >= {from:Date} AND day < {to:Date}
    )
)
