-- budget_periods: one row per budgeted project that is running on the as-of
-- day ({to} − 1), with its current budget period, what it used so far, its
-- trailing burn and its forecast (spec kpis.md §7).
--   Budget: a retainer's is retainer_hours_monthly (and retainer_fee_monthly
--     as money) for the calendar month of the as-of day; any other project's is
--     budget_hours / budget_amount over its whole life from start_date to
--     end_date (inclusive). The period is clipped to the project's life. A
--     project with no budget at all is not listed.
--   "Now" is cut, the first day not yet used: min({to}, the org's today + 1),
--     so used covers the days before cut (today counts as used) and the
--     forecast covers the period's days from cut on.
--   Workdays are the org's workdays ({org_workdays}, bit 0 = Monday) that are
--     not holidays on the org calendar.
--   Burn rate: hours logged on the project in [cut − 14, cut) (from its start
--     when it started later) ÷ the workdays in that window; NULL with none.
--   Forecast: used + the hours allocations schedule on the period's remaining
--     workdays (confirmed, plus tentative × probability; hours_per_week spread
--     evenly over the org's workdays) when any allocation of the project
--     overlaps them, else used + burn rate × remaining workdays. NULL for a
--     period with no end (a non-retainer without end_date).
--   Exhaustion: the day the cumulative hours reached the budget when they
--     already have, else the workday on which the burn rate uses up what is
--     left; NULL when that is after the period (or 5 years out).
-- Needs: org, to, now, tz, org_workdays, client, project.
-- Columns of budget_periods: project_id, client_id, kind, asof, cut, p_start,
--   p_end (exclusive, Nullable), budget_h, budget_a, used_h, used_v (standard
--   value of the billable hours, as spec §4), win_start, win_h, win_days,
--   burn (Nullable), remaining_days (Nullable), allocations, scheduled_h,
--   f_method ('allocations', 'burn_rate' or ''), forecast_h (Nullable),
--   exhaust_days (workdays from cut to exhaustion, Nullable), exhaust_date (Nullable).
budget_projects AS
(
    SELECT external_id AS project_id, client_id, kind, start_date, bill_rate,
        toDate({to:Date} - 1) AS asof,
        least({to:Date}, toDate({now:DateTime64(3)}, {tz:String}) + 1) AS cut,
        if(kind = 'retainer', retainer_hours_monthly, budget_hours) AS budget_h,
        if(kind = 'retainer', retainer_fee_monthly, budget_amount) AS budget_a,
        if(kind = 'retainer', greatest(toStartOfMonth(asof), ifNull(start_date, toDate(0))),
            ifNull(start_date, toDate(0))) AS p_start,
        if(kind = 'retainer', least(addMonths(toStartOfMonth(asof), 1), ifNull(end_date + 1, toDate('2149-06-06'))),
            end_date + 1) AS p_end,
        greatest(cut - 14, ifNull(start_date, toDate(0))) AS win_start,
        greatest(cut, p_start) AS rest_start
    FROM ops.projects FINAL
    WHERE org_id = {org:String}
      AND (isNotNull(budget_h) OR isNotNull(budget_a))
      AND ifNull(start_date, asof) <= asof AND ifNull(end_date, asof) >= asof
      AND ({client:String} = '' OR client_id = {client:String})
      AND ({project:String} = '' OR external_id = {project:String})
),
budget_people AS
(
    SELECT external_id AS person_id, valid_from, role, bill_rate
    FROM ops.people FINAL
    WHERE org_id = {org:String}
),
budget_roles AS
(
    SELECT role, valid_from, bill_rate
    FROM ops.roles FINAL
    WHERE org_id = {org:String}
),
budget_entries AS
(
    -- The projects' entries in their period or burn window before cut, with
    -- the bill rate of spec §4: the entry's, else the project's, else the
    -- person's, else the role's in force on the date.
    SELECT e.project_id AS project_id, e.date AS date, toDecimal128(e.hours, 10) AS hours,
        e.date >= e.p_start AS in_period, e.date >= e.win_start AS in_window,
        if(e.billable = 1, toDecimal128(toDecimal128(e.hours, 10) * toDecimal128(ifNull(coalesce(e.entry_rate,
            e.project_rate, e.person_rate, r.bill_rate), 0), 10), 10), toDecimal128(0, 10)) AS value
    FROM
    (
        SELECT te.project_id AS project_id, te.date AS date, te.hours AS hours, te.billable AS billable,
            te.bill_rate AS entry_rate, p.bill_rate AS project_rate, p.p_start AS p_start, p.win_start AS win_start,
            ep.role AS role, ep.bill_rate AS person_rate
        FROM ops.time_entries AS te FINAL
        INNER JOIN budget_projects AS p ON te.project_id = p.project_id
        ASOF LEFT JOIN budget_people AS ep ON te.person_id = ep.person_id AND te.date >= ep.valid_from
        WHERE te.org_id = {org:String}
          AND te.date < least({to:Date}, toDate({now:DateTime64(3)}, {tz:String}) + 1)
          AND te.date >= least(p.p_start, p.win_start)
    ) AS e
    ASOF LEFT JOIN budget_roles AS r ON e.role = r.role AND e.date >= r.valid_from
),
budget_used AS
(
    SELECT project_id, sumIf(hours, in_period) AS used_h, sumIf(value, in_period) AS used_v,
        sumIf(hours, in_window) AS win_h,
        arraySort(x -> x.1, groupArrayIf((date, hours), in_period)) AS daily
    FROM budget_entries
    GROUP BY project_id
),
budget_allocations AS
(
    -- Per project, each allocation as (first day, last day (inclusive), hours
    -- per workday, weight: 1 when confirmed, the probability when tentative).
    SELECT project_id,
        groupArray((start_date, end_date,
            if(isNotNull(hours_per_day), toDecimal128(ifNull(hours_per_day, 0), 10),
                toDecimal128(toDecimal128(ifNull(hours_per_week, 0), 10) / greatest(bitCount({org_workdays:UInt64}), 1), 10)),
            if(status = 'tentative', toDecimal128(probability, 10), toDecimal128(1, 10)))) AS allocs
    FROM ops.allocations FINAL
    WHERE org_id = {org:String}
    GROUP BY project_id
),
budget_days AS
(
    -- The workdays of the burn window and of the rest of the period (up to 5
    -- years out when it has no end, for the exhaustion date).
    SELECT p.*,
        arrayFilter(x -> bitTest({org_workdays:UInt64}, toDayOfWeek(x) - 1) AND NOT has(h.days, x),
            arrayMap(i -> p.win_start + i, range(toUInt32(greatest(dateDiff('day', p.win_start, p.cut), 0))))) AS win_workdays,
        arrayFilter(x -> bitTest({org_workdays:UInt64}, toDayOfWeek(x) - 1) AND NOT has(h.days, x),
            arrayMap(i -> p.rest_start + i, range(toUInt32(greatest(dateDiff('day', p.rest_start,
                ifNull(p.p_end, p.rest_start + 1830)), 0))))) AS rest_workdays
    FROM budget_projects AS p
    CROSS JOIN
    (
        SELECT groupArray(date) AS days FROM ops.holidays FINAL WHERE org_id = {org:String} AND calendar = ''
    ) AS h
),
budget_periods AS
(
    SELECT d.project_id AS project_id, d.client_id AS client_id, d.kind AS kind, d.asof AS asof, d.cut AS cut,
        d.p_start AS p_start, d.p_end AS p_end, d.budget_h AS budget_h, d.budget_a AS budget_a,
        u.used_h AS used_h, u.used_v AS used_v, d.win_start AS win_start, u.win_h AS win_h,
        length(d.win_workdays) AS win_days,
        if(win_days = 0, NULL, toDecimal128(win_h / win_days, 10)) AS burn,
        if(isNull(d.p_end), NULL, length(d.rest_workdays)) AS remaining_days,
        -- the allocations that book days in the rest of the period
        arrayFilter(a -> arrayExists(x -> x >= a.1 AND x <= a.2, d.rest_workdays), a.allocs) AS booked,
        length(booked) AS allocations,
        arraySum(arrayMap(b -> toDecimal128(toDecimal128(arrayCount(x -> x >= b.1 AND x <= b.2, d.rest_workdays), 10)
            * b.3 * b.4, 10), booked)) AS scheduled_h,
        multiIf(isNull(d.p_end), '', allocations > 0, 'allocations', isNull(burn), '', 'burn_rate') AS f_method,
        multiIf(f_method = 'allocations', used_h + scheduled_h,
            f_method = 'burn_rate', used_h + toDecimal128(burn * remaining_days, 10), NULL) AS forecast_h,
        -- workdays until the rest of the budget is used: ceil(left ÷ burn),
        -- as left × window workdays ÷ window hours so the division is exact
        if(isNull(d.budget_h) OR used_h >= d.budget_h OR win_h <= 0, NULL,
            toUInt32(ceil(toDecimal128(d.budget_h - used_h, 10) * win_days / win_h))) AS exhaust_days,
        -- the day the period's cumulative hours first reached the budget
        u.daily[arrayFirstIndex(c -> c >= ifNull(d.budget_h, 0), arrayCumSum(arrayMap(x -> x.2, u.daily)))].1 AS reached,
        multiIf(isNull(d.budget_h), NULL,
            used_h >= d.budget_h, if(reached > toDate(0), reached, d.p_start),
            exhaust_days <= length(d.rest_workdays), d.rest_workdays[ifNull(exhaust_days, 0)], NULL) AS exhaust_date
    FROM budget_days AS d
    LEFT JOIN budget_used AS u ON d.project_id = u.project_id
    LEFT JOIN budget_allocations AS a ON d.project_id = a.project_id
)
