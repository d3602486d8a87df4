-- kpi: scheduled_utilization
-- title: Scheduled utilization
-- unit: ratio
-- group_by: person, role, team
-- filters: person, role, team
-- version: 1
-- description: For future periods: hours booked on people by allocations (confirmed, plus tentative × probability) ÷ available hours.
-- Parameters: org, from, to, group_by, interval, person, role, team.
-- Columns: period Date, grp String, value Nullable(Float64), scheduled_hours, confirmed_hours,
--   tentative_hours (already weighted by probability), available_hours.
WITH {{person_days}},
booked AS
(
    -- An allocation books hours_per_day on each of the person's contracted
    -- days in [start_date, end_date] (inclusive), or hours_per_week spread
    -- over them in proportion to the day's hours; a holiday or time off books
    -- nothing: the hours scale by the day's available ÷ contracted hours.
    SELECT period, grp, sum(if(status = 'tentative', toDecimal128(0, 10), h)) AS c,
        sum(if(status = 'tentative', toDecimal128(h * toDecimal128(probability, 10), 10), toDecimal128(0, 10))) AS t
    FROM
    (
        SELECT pd.period AS period, pd.grp AS grp, a.status AS status, a.probability AS probability,
            if(isNotNull(a.hours_per_day), toDecimal128(toDecimal128(ifNull(a.hours_per_day, 0), 10) * pd.available / pd.contracted, 10),
                toDecimal128(toDecimal128(ifNull(a.hours_per_week, 0), 10) * pd.available / pd.weekly, 10)) AS h
        FROM person_days AS pd
        INNER JOIN
        (
            SELECT person_id, start_date, end_date, status, probability, hours_per_day, hours_per_week
            FROM ops.allocations FINAL
            WHERE org_id = {org:String} AND person_id != '' AND start_date < {to:Date} AND end_date >= {from:Date}
        ) AS a ON pd.person_id = a.person_id
        WHERE pd.day >= a.start_date AND pd.day <= a.end_date AND pd.contracted > 0
    )
    GROUP BY period, grp
),
parts AS
(
    SELECT period, grp, c, t, toDecimal128(0, 10) AS a FROM booked
    UNION ALL
    SELECT period, grp, toDecimal128(0, 10), toDecimal128(0, 10), sum(available) FROM person_days GROUP BY period, grp
)
SELECT period, grp, if(sum(a) = 0, NULL, toFloat64(sum(c) + sum(t)) / toFloat64(sum(a))) AS value,
    sum(c) + sum(t) AS scheduled_hours, sum(c) AS confirmed_hours, sum(t) AS tentative_hours, sum(a) AS available_hours
FROM parts
GROUP BY period, grp
ORDER BY period, grp
