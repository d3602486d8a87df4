-- capacity_grid: the rows of the forward capacity grid of one org (spec
-- kpis.md §8): available hours, confirmed hours booked and tentative hours ×
-- probability per key (a person id, a role or a team, after {by}) and ISO
-- week (its Monday). Not a catalog KPI: metrics.Capacity runs it, adds the
-- rows up per key and week, derates, fills the empty key × week cells with
-- zeros and computes free hours.
--
-- Days: the grid counts the days in [grid_from, grid_to). grid_from is the
-- request's own From, so in a first week that starts before From the days
-- before From are not counted (they are usually the past); grid_to is a
-- Monday. Available hours come from person_days (§1); a person's role and
-- team are the ones in force on each day, so a change mid-week splits the
-- week between two keys.
--
-- Bookings (as kpi_scheduled_utilization.sql): a person's allocation books
-- hours_per_day on each of the person's contracted days (contracted > 0) in
-- [start_date, end_date] (end inclusive), or hours_per_week spread over those
-- days in proportion to each day's contracted hours. Like that KPI it books
-- holidays and time off too: the booking is what was planned. 'tentative'
-- counts × probability; anything else is confirmed. A role placeholder
-- (person_id '' with a role) books the role itself, only when {by} is 'role':
-- hours_per_day on each org workday it covers in the grid, or hours_per_week
-- ÷ the number of org workdays on each (so a partial week gets days/5 of it
-- with Monday to Friday). Placeholders ignore holidays and are never derated.
--
-- Derating (only when hist_from < hist_to; metrics passes the 12 ISO weeks
-- before now's week when asked to derate, else an empty window): per person,
-- ratio = actual ÷ scheduled over [hist_from, hist_to), where scheduled = the
-- person's confirmed allocation hours on those days (booked as above) and
-- actual = the hours of the person's time entries on those days on the
-- projects of the person's confirmed allocations that overlap the window (on
-- any day of the window, so running past an allocation's end counts).
-- metrics multiplies each person's confirmed hours in the grid by the ratio;
-- a person with no scheduled hours in the window keeps ratio 1.
--
-- Parameters: org String, by String (person, role or team), from Date and
--   to Date (the range person_days expands: [min(grid_from, hist_from),
--   max(grid_to, hist_to))), grid_from Date, grid_to Date, hist_from Date,
--   hist_to Date, org_workdays UInt64 (bit 0 = Monday; 0 is read as Monday to
--   Friday), and for person_days group_by, interval, person, role, team
--   (all '').
-- Columns: person_id String, key String, week Date, available, booked
--   (confirmed, not derated), tentative (× probability), scheduled (the
--   person's confirmed hours on this week's days of the trailing window) and
--   actual (the person's actual hours over the whole window, the same on each
--   of the person's rows), all Decimal hours; assumed (of available, the hours
--   of people whose 40-hour week is assumed: created on first sight,
--   ops.people.capacity_assumed) and assumed_people Array(String) (their ids,
--   sorted). One row per person, key and week
--   with a day in the grid or the window; person_id is '' on a placeholder's
--   row, and on every row when there is no trailing window (then the rows are
--   per key and week). Unordered. Adding up in Go keeps this query small: on
--   the embedded engine, planning a query costs more than running it on a
--   100-person org.
WITH {{person_days}},
allocation_lists AS
(
    -- Each person's allocations as one array of (start, end, hours per day,
    -- hours per week when not given per day, confirmed, tentative
    -- probability), so that person_days stays one row per person and day.
    SELECT person_id,
        groupArray((start_date, end_date, toDecimal128(ifNull(hours_per_day, 0), 10),
            toDecimal128(if(isNull(hours_per_day), ifNull(hours_per_week, 0), 0), 10),
            status != 'tentative', if(status = 'tentative', probability, 0))) AS allocations
    FROM ops.allocations FINAL
    WHERE org_id = {org:String} AND person_id != '' AND start_date < {to:Date} AND end_date >= {from:Date}
    GROUP BY person_id
),
booked_days AS
(
    -- hours: what each allocation books on the day, 0 outside it and on days
    -- without contracted hours; a holiday or time off books nothing (as in
    -- Float and Runn): hours per day scale by available ÷ contracted, hours
    -- per week spread over the available hours (available ÷ weekly capacity)
    SELECT pd.person_id AS person_id, pd.day AS day, toMonday(pd.day) AS week, pd.available AS available,
        pd.assumed AS assumed, pd.person_id AS who,
        multiIf({by:String} = 'person', pd.person_id, {by:String} = 'role', toString(pd.role), toString(pd.team)) AS key,
        arrayMap(x -> if(pd.contracted > 0 AND pd.day >= x.1 AND pd.day <= x.2,
            toDecimal128(x.3 * pd.available / pd.contracted, 10)
                + toDecimal128(x.4 * pd.available / if(pd.weekly = 0, 1, pd.weekly), 10), 0), l.allocations) AS hours,
        arraySum(arrayMap((h, x) -> h * x.5, hours, l.allocations)) AS c,
        arraySum(arrayMap((h, x) -> h * x.6, hours, l.allocations)) AS t
    FROM person_days AS pd
    LEFT JOIN allocation_lists AS l ON pd.person_id = l.person_id
),
person_weeks AS
(
    -- Without a trailing window (no derating) nothing needs the person: one
    -- row per key and week, with person_id ''.
    SELECT person_id, key, week, sumIf(available, grid) AS available, sumIf(c, grid) AS booked,
        sumIf(t, grid) AS tentative, sumIf(c, hist) AS scheduled,
        sumIf(assumed_available, grid) AS assumed_hours,
        arraySort(groupUniqArrayIf(who, grid AND assumed_available > 0)) AS assumed_people
    FROM
    (
        SELECT if({hist_from:Date} < {hist_to:Date}, person_id, '') AS person_id, who, key, week,
            available, if(assumed = 1, available, toDecimal128(0, 10)) AS assumed_available, c, t,
            day >= {grid_from:Date} AND day < {grid_to:Date} AS grid,
            day >= {hist_from:Date} AND day < {hist_to:Date} AS hist
        FROM booked_days
    )
    GROUP BY person_id, key, week
),
actual AS
(
    -- hours logged in the trailing window on the projects of the person's
    -- confirmed allocations in it
    SELECT person_id, sum(hours) AS hours
    FROM ops.time_entries FINAL
    WHERE org_id = {org:String} AND date >= {hist_from:Date} AND date < {hist_to:Date}
      AND (person_id, project_id) IN
      (
          SELECT person_id, project_id
          FROM ops.allocations FINAL
          WHERE org_id = {org:String} AND person_id != '' AND status != 'tentative'
            AND start_date < {hist_to:Date} AND end_date >= {hist_from:Date}
      )
    GROUP BY person_id
),
placeholder_days AS
(
    -- a role placeholder's hours on each org workday it covers in the grid
    SELECT toString(p.role) AS key, toMonday(day) AS week,
        p.per_day + toDecimal128(p.per_week / p.workdays, 10) AS h, h * p.confirmed AS c, h * p.probability AS t
    FROM
    (
        SELECT role, toDecimal128(ifNull(hours_per_day, 0), 10) AS per_day,
            toDecimal128(if(isNull(hours_per_day), ifNull(hours_per_week, 0), 0), 10) AS per_week,
            status != 'tentative' AS confirmed, if(status = 'tentative', probability, 0) AS probability,
            greatest(start_date, {grid_from:Date}) AS lo, least(end_date + 1, {grid_to:Date}) AS hi,
            if({org_workdays:UInt64} = 0, 31, {org_workdays:UInt64}) AS mask, bitCount(mask) AS workdays
        FROM ops.allocations FINAL
        WHERE org_id = {org:String} AND person_id = '' AND role != '' AND {by:String} = 'role'
          AND start_date < {grid_to:Date} AND end_date >= {grid_from:Date}
    ) AS p
    ARRAY JOIN arrayMap(i -> p.lo + i, range(toUInt32(greatest(dateDiff('day', p.lo, p.hi), 0)))) AS day
    WHERE bitTest(p.mask, toDayOfWeek(day) - 1)
)
SELECT w.person_id AS person_id, w.key AS key, w.week AS week, w.available AS available, w.booked AS booked,
    w.tentative AS tentative, w.scheduled AS scheduled, ifNull(a.hours, 0) AS actual, w.assumed_hours AS assumed,
    w.assumed_people AS assumed_people
FROM person_weeks AS w
LEFT JOIN actual AS a ON w.person_id = a.person_id
UNION ALL
SELECT '', key, week, 0, sum(c), sum(t), 0, 0, 0, []
FROM placeholder_days
GROUP BY key, week
-- No JIT: compiling this query's expressions made about one answer in a
-- hundred take 190-260 ms instead of 65 (docs/benchmarks.md).
SETTINGS compile_expressions = 0, compile_aggregate_expressions = 0
