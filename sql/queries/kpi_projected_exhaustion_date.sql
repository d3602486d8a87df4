-- kpi: projected_exhaustion_date
-- title: Projected budget exhaustion date
-- unit: days
-- group_by: project, client
-- filters: client, project
-- version: 2
-- description: The date each budgeted project's hour budget runs out at its current burn rate, or the day it ran out when it already has; null when it lasts past the end of the budget period.
-- Parameters: org, to, now, tz, org_workdays, group_by, interval, from, client, project.
--   fragments/budget_periods.sql. Not yet exhausted: the n-th workday on or after cut
--   (cut = min(to, org's today + 1); workdays are the org's, without org holidays), with
--   n = ceil((budget hours − used) ÷ burn rate). Already exhausted: the day the period's
--   cumulative hours first reached the budget. Null with no hour budget, no burn, or a
--   date on or after the period's end (or more than 5 years out for an open-ended
--   project). A group's date is the earliest of its projects'.
-- Columns: period Date (bucket of the as-of day), grp String, value Nullable(Date),
--   days_left Nullable(Int64) (calendar days from the as-of "today", cut − 1, to the date;
--   negative when already exhausted), exhausted UInt64 (projects already over their hour
--   budget), exhausting UInt64 (projects with a date), budget_hours, used_hours, burn_rate,
--   workdays_left Nullable(UInt32) (n, for one project), period_end Nullable(Date), projects UInt64,
--   and (version 2) budget_remaining's columns over the same projects and day, so a page that
--   shows both asks once: remaining_hours, remaining_amount, budget_amount, used_value
--   (Nullable(Decimal); the sums kpi_budget_remaining.sql takes of the same fragment).
WITH {{budget_periods}}
SELECT multiIf({interval:String} = 'day', asof, {interval:String} = 'week', toMonday(asof),
        {interval:String} = 'month', toStartOfMonth(asof), {from:Date}) AS period,
    multiIf({group_by:String} = 'project', project_id, {group_by:String} = 'client', client_id, '') AS grp,
    min(exhaust_date) AS value, dateDiff('day', max(cut) - 1, value) AS days_left,
    countIf(isNotNull(budget_h) AND used_h >= budget_h) AS exhausted, countIf(isNotNull(exhaust_date)) AS exhausting,
    sum(budget_h) AS budget_hours, sum(used_h) AS used_hours, sum(burn) AS burn_rate,
    if(count() = 1, any(exhaust_days), NULL) AS workdays_left,
    if(countIf(isNull(p_end)) > 0, NULL, max(p_end)) AS period_end, count() AS projects,
    sum(budget_h - used_h) AS remaining_hours, sum(budget_a - used_v) AS remaining_amount, sum(budget_a) AS budget_amount,
    sumIf(used_v, isNotNull(budget_a)) AS used_value
FROM budget_periods
GROUP BY period, grp
ORDER BY period, grp
