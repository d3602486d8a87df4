-- write_offs: retainer over-service (spec kpis.md §4), added to entry_values
-- as entry_write_offs. Put it after the entries and entry_billing fragments.
--   In each calendar month that a retainer is active in (start_date to
--   end_date, by month) and that has closed by now, the billable hours beyond
--   retainer_hours_monthly are written off. Entries written off already and
--   entries an invoice line lists (billed as overage) do not count, and the
--   hours of over_service write_off adjustments on the project in the month
--   raise the contracted hours (they are over-service already), so nothing
--   counts twice. The excess is the last hours logged in the month: entries
--   are taken by date (then id) and the hours past the contract are
--   over-service, each at the entry's bill rate. The whole month is looked at,
--   whatever [from, to) and the filters; those then pick among the excess
--   entries.
-- Needs: those of entry_billing, and now and tz (which months are closed).
-- Columns of entry_write_offs: those of entry_values, plus over_service_hours
--   and over_service (money: those hours × the entry's bill rate).
-- In the closed retainer months [from, to) touches, each entry's hours past
-- the contract. over_service adjustments come first in their month
-- (is_entry 0) with their hours negated: what they record is over-service
-- already, so the entries' excess starts that many hours later.
retainer_excess AS
(
    SELECT external_id, toDecimal128(least(greatest(cumulative - contracted, toDecimal128(0, 10)), hours), 10) AS over_service_hours
    FROM
    (
        SELECT u.external_id AS external_id, u.is_entry AS is_entry, u.hours AS hours,
            toDecimal128(assumeNotNull(bp.retainer_hours_monthly), 10) AS contracted,
            sum(u.hours) OVER (PARTITION BY u.project_id, u.month ORDER BY u.is_entry, u.date, u.external_id
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cumulative
        FROM
        (
            SELECT te.external_id AS external_id, 1 AS is_entry, te.project_id AS project_id, te.date AS date,
                toStartOfMonth(te.date) AS month, toDecimal128(te.hours, 10) AS hours
            FROM ops.time_entries AS te FINAL
            WHERE te.org_id = {org:String} AND te.billable = 1 AND te.billing_status != 'written_off'
              AND te.date >= toStartOfMonth({from:Date})
              AND te.date < least(addMonths(toStartOfMonth(subtractDays({to:Date}, 1)), 1),
                  toStartOfMonth(toDate({now:DateTime64(3)}, {tz:String})))
              AND te.external_id NOT IN (SELECT entry_id FROM line_entries)
            UNION ALL
            SELECT '', 0, project_id, date, toStartOfMonth(date), -toDecimal128(assumeNotNull(hours), 10)
            FROM adjustment_rows
            WHERE kind = 'write_off' AND reason = 'over_service' AND hours IS NOT NULL
        ) AS u
        INNER JOIN billing_projects AS bp ON bp.project_id = u.project_id
        WHERE bp.kind = 'retainer' AND bp.retainer_hours_monthly IS NOT NULL
          AND (bp.start_date IS NULL OR u.month >= toStartOfMonth(assumeNotNull(bp.start_date)))
          AND (bp.end_date IS NULL OR u.month <= toStartOfMonth(assumeNotNull(bp.end_date)))
    )
    WHERE is_entry = 1 AND cumulative > contracted
),
entry_write_offs AS
(
    SELECT v.*, x.over_service_hours AS over_service_hours,
        toDecimal128(x.over_service_hours * toDecimal128(ifNull(v.bill_rate, 0), 10), 10) AS over_service
    FROM entry_values AS v
    LEFT JOIN retainer_excess AS x ON x.external_id = v.external_id
)
