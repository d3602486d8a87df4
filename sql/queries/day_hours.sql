-- day_hours: the live time entries stored in a date range, on some
-- person-days or on all, for the limit of 24 hours per person and day that
-- an import checks per batch (and, for an export read in date order, for
-- its new/updated split).
-- The latest version of each key is read with argMax from the rows in the
-- range, plus every tombstone (stored with no person or date), instead of
-- FINAL over the whole table. An edit that moved an entry to another day or
-- person leaves its old version in range until the versions are merged; it
-- then counts on its old day too.
-- An import reads a window of some 200,000 entries per batch or more, so
-- they come back packed in one string of fixed-width little-endian numbers,
-- ids as xxHash64 hashes that the importer computes alike: decoding a row of
-- values (strings, or numbers one by one) cost more than importing the entry.
-- Parameters: org {org:String}, from {from:Date}, to {to:Date}, days
-- {days:String}: the person-days as xxHash64(person_id) XOR the day number,
-- comma-separated, or '' for every person-day in the range.
-- Columns: entries String: 26 bytes an entry, key UInt64 (xxHash64 of source,
-- a zero byte and external_id), person UInt64 (xxHash64(person_id)), day
-- UInt16 (days since 1970-01-01), micros Int64 (the hours in millionths).
SELECT arrayStringConcat(groupArray(concat(reinterpretAsFixedString(key), reinterpretAsFixedString(p),
    reinterpretAsFixedString(toUInt16(d)), reinterpretAsFixedString(toInt64(h * 1000000))))) AS entries
FROM (
    SELECT xxHash64(concat(source, '\0', external_id)) AS key,
        argMax(xxHash64(person_id), version) AS p, argMax(date, version) AS d,
        argMax(hours, version) AS h, argMax(deleted, version) AS gone
    FROM ops.time_entries
    WHERE org_id = {org:String}
      AND ((date BETWEEN {from:Date} AND {to:Date}
            AND ({days:String} = ''
                 OR bitXor(xxHash64(person_id), toUInt64(toUInt16(date)))
                    IN (SELECT arrayJoin(arrayMap(x -> toUInt64(x), splitByChar(',', {days:String}))))))
           OR deleted = 1)
    GROUP BY key
)
WHERE gone = 0
