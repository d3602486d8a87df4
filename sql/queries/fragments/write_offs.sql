-- write_offs: retainer over-service (spec kpis.md §4), added to the rows of
-- entry_days as entry_write_offs. Put it after the entry_days fragment.
--   Each entry's hours past its retainer's monthly contract are resolved once
--   per facts build (retainer_excess in fragments/entry_resolve.sql: the whole
--   month is looked at, whatever [from, to) and the filters, which then pick
--   among the excess entries), and valued at the entry's bill rate in the
--   daily rollup (sql/queries/entry_days_build.sql). They are written off
--   once the month has closed by now.
-- Needs: those of entry_days, and now and tz (which months are closed).
-- Columns of entry_write_offs: those of entry_days, plus over_service_hours,
--   over_service (money: those hours × the entry's bill rate) and
--   over_service_valued_hours (the over-service hours of entries whose
--   over-service has a value).
entry_write_offs AS
(
    SELECT *,
        if(toStartOfMonth(date) < toStartOfMonth(toDate({now:DateTime64(3)}, {tz:String})), retainer_excess_hours,
            toDecimal128(0, 10)) AS over_service_hours,
        if(toStartOfMonth(date) < toStartOfMonth(toDate({now:DateTime64(3)}, {tz:String})), retainer_excess_value,
            toDecimal128(0, 10)) AS over_service,
        if(toStartOfMonth(date) < toStartOfMonth(toDate({now:DateTime64(3)}, {tz:String})), valued_excess_hours,
            toDecimal128(0, 10)) AS over_service_valued_hours
    FROM entry_days
)
