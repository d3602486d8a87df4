-- org_other_currencies: the currencies other than {currency} that an org's
-- time entries are in, with how many entries each, before the org's
-- currency is changed.
-- Parameters: org {org:String}, currency {currency:String}.
-- Columns: currency String, entries UInt64.
SELECT toString(currency) AS currency, count() AS entries
FROM ops.time_entries FINAL
WHERE org_id = {org:String} AND currency != '' AND currency != {currency:String}
GROUP BY currency
ORDER BY currency
