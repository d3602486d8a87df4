-- kpi: over_service_hours
-- title: Retainer over-service hours
-- unit: hours
-- group_by: project, client
-- filters: client, project
-- version: 1
-- description: For each closed retainer month, the billable hours worked above the retainer's monthly hours that were not billed as overage: max(0, billable hours − retainer hours − overage billed). The same hours the write-off KPIs value as over-service, plus those already written off another way.
-- Parameters: org, from, to, now, tz, group_by, interval, client, project.
--   Months: the calendar months [from, to) touches that have ended before the org's
--   current month (in its time zone), for each retainer (kind retainer with
--   retainer_hours_monthly) running in that month. The retainer's hours are not prorated
--   in its first or last month. Billable hours: every billable entry on the retainer dated
--   in the month, whatever its billing status. Overage billed: the hours of the project's
--   invoice lines that list time entries (the line's hours, else its entries' hours); a
--   line that lists no entries is the retainer fee, not overage. This is the rule the
--   write-off KPIs use too (fragments/write_offs.sql). A line belongs to the month of the
--   earliest entry it lists, else to the month of its date. invoiced_hours adds every
--   line's hours (a line without hours counts amount × retainer hours ÷ retainer fee).
--   period is the bucket of the month's first day.
-- Columns: period Date, grp String, value Decimal (over-service hours), billable_hours,
--   retainer_hours, invoiced_hours, billed_overage_hours (Decimal), months UInt64
--   (retainer-months counted), over_months UInt64 (those with over-service).
WITH
retainers AS
(
    SELECT external_id AS project_id, client_id, toDecimal128(assumeNotNull(retainer_hours_monthly), 10) AS rh,
        retainer_fee_monthly AS fee, start_date, end_date
    FROM ops.projects FINAL
    WHERE org_id = {org:String} AND kind = 'retainer' AND isNotNull(retainer_hours_monthly)
      AND ({client:String} = '' OR client_id = {client:String})
      AND ({project:String} = '' OR external_id = {project:String})
),
bounds AS
(
    SELECT toStartOfMonth({from:Date}) AS lo,
        least(addMonths(toStartOfMonth({to:Date} - 1), 1), toStartOfMonth(toDate({now:DateTime64(3)}, {tz:String}))) AS hi
),
retainer_months AS
(
    SELECT r.*, m AS month
    FROM retainers AS r
    CROSS JOIN bounds AS b
    ARRAY JOIN arrayMap(i -> addMonths(b.lo, i), range(toUInt32(greatest(dateDiff('month', b.lo, b.hi), 0)))) AS m
    WHERE ifNull(r.start_date, m) < addMonths(m, 1) AND ifNull(r.end_date, m) >= m
),
worked AS
(
    SELECT project_id, toStartOfMonth(date) AS month, sum(toDecimal128(hours, 10)) AS worked_h
    FROM ops.time_entries FINAL
    WHERE org_id = {org:String} AND billable = 1 AND project_id IN (SELECT project_id FROM retainers)
      AND date >= (SELECT lo FROM bounds) AND date < (SELECT hi FROM bounds)
    GROUP BY project_id, month
),
line_entries AS
(
    SELECT l.external_id AS line_id, min(te.date) AS first_day, sum(toDecimal128(te.hours, 10)) AS listed_h
    FROM
    (
        SELECT external_id, arrayJoin(time_entry_ids) AS entry_id
        FROM ops.invoice_lines FINAL
        WHERE org_id = {org:String} AND notEmpty(time_entry_ids) AND project_id IN (SELECT project_id FROM retainers)
    ) AS l
    INNER JOIN
    (
        SELECT external_id, date, hours FROM ops.time_entries FINAL
        WHERE org_id = {org:String} AND project_id IN (SELECT project_id FROM retainers)
    ) AS te ON te.external_id = l.entry_id
    GROUP BY l.external_id
),
invoiced AS
(
    SELECT il.project_id AS project_id,
        toStartOfMonth(if(le.line_id != '', le.first_day, il.date)) AS month,
        sum(if(isNotNull(il.hours), toDecimal128(ifNull(il.hours, 0), 10),
            if(ifNull(r.fee, 0) > 0, toDecimal128(toDecimal128(il.amount, 10) * r.rh / toDecimal128(ifNull(r.fee, 1), 10), 10),
                toDecimal128(0, 10)))) AS invoiced_h,
        -- a line that lists entries bills them as overage; a line that lists none is the fee
        sumIf(if(isNotNull(il.hours), toDecimal128(ifNull(il.hours, 0), 10), le.listed_h), le.line_id != '') AS overage_h
    FROM ops.invoice_lines AS il FINAL
    INNER JOIN retainers AS r ON il.project_id = r.project_id
    LEFT JOIN line_entries AS le ON le.line_id = il.external_id
    WHERE il.org_id = {org:String}
    GROUP BY project_id, month
),
judged AS
(
    SELECT rm.month AS month, rm.project_id AS project_id, rm.client_id AS client_id, rm.rh AS rh,
        ifNull(w.worked_h, toDecimal128(0, 10)) AS billable_h, ifNull(i.invoiced_h, toDecimal128(0, 10)) AS inv_h,
        ifNull(i.overage_h, toDecimal128(0, 10)) AS overage_billed,
        greatest(billable_h - rm.rh - overage_billed, toDecimal128(0, 10)) AS over_h
    FROM retainer_months AS rm
    LEFT JOIN worked AS w ON w.project_id = rm.project_id AND w.month = rm.month
    LEFT JOIN invoiced AS i ON i.project_id = rm.project_id AND i.month = rm.month
)
SELECT multiIf({interval:String} = 'day', month, {interval:String} = 'week', toMonday(month),
        {interval:String} = 'month', month, {from:Date}) AS period,
    multiIf({group_by:String} = 'project', project_id, {group_by:String} = 'client', client_id, '') AS grp,
    sum(over_h) AS value, sum(billable_h) AS billable_hours, sum(rh) AS retainer_hours,
    sum(inv_h) AS invoiced_hours, sum(overage_billed) AS billed_overage_hours,
    count() AS months, countIf(over_h > 0) AS over_months
FROM judged
GROUP BY period, grp
ORDER BY period, grp
