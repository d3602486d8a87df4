-- person_days: one row per person and day in [from, to) inside the person's
-- employment window, with the person's version in force that day (spec
-- kpis.md §1). Effective dating: a version applies from its valid_from to the
-- next version's valid_from and never rewrites earlier days.
-- Needs: org, from, to, group_by, interval, person, role, team.
-- Columns of person_days: person_id, day, role, team, cost_rate, bill_rate,
--   target (the person's utilization target, else the role's in force; 0 when
--   neither is set), targeted (1 when one is set), assumed (1 when the
--   version's capacity is assumed: a person an import created on first sight,
--   ops.people.capacity_assumed), weekly (capacity in force), contracted,
--   time_off, holiday, available (Decimal(38, 10) hours), period, grp.
person_versions AS
(
    SELECT person_id, valid_from, role, team, weekly_capacity_hours, workdays, cost_rate, bill_rate,
        utilization_target, holiday_calendar, capacity_assumed,
        greatest(valid_from, ifNull(start_date, valid_from)) AS lo,
        least(valid_to, ifNull(end_date, valid_to)) AS hi
    FROM
    (
        SELECT external_id AS person_id, valid_from, role, team, weekly_capacity_hours, workdays, cost_rate, bill_rate,
            utilization_target, holiday_calendar, capacity_assumed, start_date, end_date,
            leadInFrame(valid_from, 1, toDate('2149-06-06')) OVER
                (PARTITION BY external_id ORDER BY valid_from ASC ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS valid_to
        FROM ops.people FINAL
        WHERE org_id = {org:String}
    )
),
role_rates AS
(
    SELECT role, valid_from, bill_rate, cost_rate, utilization_target
    FROM ops.roles FINAL
    WHERE org_id = {org:String}
),
time_off_days AS
(
    -- end_date is inclusive, as people book leave; hours_per_day NULL is the whole day.
    SELECT person_id, day, max(isNull(hours_per_day)) AS whole_day, sum(ifNull(hours_per_day, 0)) AS hours
    FROM ops.time_off FINAL
    ARRAY JOIN arrayMap(i -> greatest(start_date, {from:Date}) + i,
        range(toUInt32(greatest(dateDiff('day', greatest(start_date, {from:Date}), least(end_date + 1, {to:Date})), 0)))) AS day
    WHERE org_id = {org:String} AND start_date < {to:Date} AND end_date >= {from:Date}
    GROUP BY person_id, day
),
person_day_base AS
(
    SELECT pv.person_id AS person_id, day, pv.role AS role, pv.team AS team, pv.cost_rate AS person_cost_rate,
        pv.bill_rate AS person_bill_rate, pv.utilization_target AS person_target, pv.capacity_assumed AS assumed,
        toDecimal128(pv.weekly_capacity_hours, 10) AS weekly,
        if(bitTest(pv.workdays, toDayOfWeek(day) - 1) AND pv.workdays != 0,
            toDecimal128(pv.weekly_capacity_hours, 10) / bitCount(pv.workdays), toDecimal128(0, 10)) AS contracted,
        (pv.holiday_calendar, day) IN (SELECT calendar, date FROM ops.holidays FINAL WHERE org_id = {org:String}) AS is_holiday
    FROM person_versions AS pv
    ARRAY JOIN arrayMap(i -> greatest(pv.lo, {from:Date}) + i,
        range(toUInt32(greatest(dateDiff('day', greatest(pv.lo, {from:Date}), least(pv.hi, {to:Date})), 0)))) AS day
    WHERE ({person:String} = '' OR pv.person_id = {person:String})
      AND ({role:String} = '' OR pv.role = {role:String})
      AND ({team:String} = '' OR pv.team = {team:String})
),
person_days AS
(
    SELECT b.person_id AS person_id, b.day AS day, b.role AS role, b.team AS team,
        coalesce(b.person_cost_rate, r.cost_rate) AS cost_rate,
        coalesce(b.person_bill_rate, r.bill_rate) AS bill_rate,
        toDecimal128(coalesce(b.person_target, r.utilization_target, 0), 10) AS target,
        isNotNull(coalesce(b.person_target, r.utilization_target)) AS targeted, b.assumed AS assumed,
        b.contracted AS contracted, b.weekly AS weekly,
        if(o.whole_day = 1, b.contracted, least(toDecimal128(o.hours, 10), b.contracted)) AS time_off,
        if(b.is_holiday, b.contracted, toDecimal128(0, 10)) AS holiday,
        greatest(b.contracted - time_off - holiday, toDecimal128(0, 10)) AS available,
        multiIf({interval:String} = 'day', b.day, {interval:String} = 'week', toMonday(b.day),
            {interval:String} = 'month', toStartOfMonth(b.day), {from:Date}) AS period,
        multiIf({group_by:String} = 'person', b.person_id, {group_by:String} = 'role', toString(b.role),
            {group_by:String} = 'team', toString(b.team), '') AS grp
    FROM person_day_base AS b
    ASOF LEFT JOIN role_rates AS r ON b.role = r.role AND b.day >= r.valid_from
    LEFT JOIN time_off_days AS o ON b.person_id = o.person_id AND b.day = o.day
)
