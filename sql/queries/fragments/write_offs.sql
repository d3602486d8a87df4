-- write_offs: retainer over-service (spec kpis.md §4), added to entry_values
-- as entry_write_offs. Put it after the entries and entry_billing fragments.
--   Each entry's hours past its retainer's monthly contract are resolved once
--   per facts build (retainer_excess in fragments/entry_resolve.sql: the whole
--   month is looked at, whatever [from, to) and the filters, which then pick
--   among the excess entries). They are written off once the month has
--   closed by now, each hour at the entry's bill rate.
-- Needs: those of entry_billing, and now and tz (which months are closed).
-- Columns of entry_write_offs: those of entry_values, plus over_service_hours
--   and over_service (money: those hours × the entry's bill rate).
entry_write_offs AS
(
    SELECT *, toDecimal128(over_service_hours * toDecimal128(ifNull(bill_rate, 0), 10), 10) AS over_service
    FROM
    (
        SELECT *, if(toStartOfMonth(date) < toStartOfMonth(toDate({now:DateTime64(3)}, {tz:String})),
            retainer_excess_hours, toDecimal128(0, 10)) AS over_service_hours
        FROM entry_values
    )
)
