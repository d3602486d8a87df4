-- day_hours: the time entry rows stored in a date range, on some person-days
-- or on all, for the limit of 24 hours per person and day that an import
-- checks per batch (and, for an export read in date order, for its
-- new/updated split).
-- Every version in the range comes back, plus every tombstone (stored with
-- no person or date): the importer keeps the latest version of each key
-- (daylimit.go, readStored), as argMax would, instead of FINAL over the whole
-- table: the rows come sorted by key, the latest version first. Grouping by
-- key in the engine cost three times the scan itself (0.57 s against 0.19 s
-- for a window of 500,000 entries, 1M rows; sorting adds 0.05 s), and most
-- keys have one or two rows. An edit that moved an entry to another day
-- or person leaves its old version in range until the versions are merged;
-- it then counts on its old day too.
-- An import reads a window of some 500,000 entries per batch or more, so
-- they come back packed in one string of fixed-width little-endian numbers,
-- ids as xxHash64 hashes that the importer computes alike: decoding a row of
-- values (strings, or numbers one by one) cost more than importing the entry.
-- Parameters: org {org:String}, from {from:Date}, to {to:Date}, days
-- {days:String}: the person-days as xxHash64(person_id) XOR the day number,
-- comma-separated, or '' for every person-day in the range; persons
-- {persons:String}: the person ids of those person-days, one a line, or ''.
-- The person test goes first: it halves the scan of a request's check (0.12 s
-- against 0.25 s over 4.5M stored rows), since it rules out most rows before
-- any hash is computed.
-- Columns: entries String: 35 bytes a row, by key and then version, the
-- latest first: key UInt64 (xxHash64 of source, a
-- zero byte and external_id), version UInt64, person UInt64
-- (xxHash64(person_id)), day UInt16 (days since 1970-01-01), micros Int64
-- (the hours in millionths), deleted UInt8.
SELECT arrayStringConcat(groupArray(concat(reinterpretAsFixedString(key), reinterpretAsFixedString(version),
    reinterpretAsFixedString(xxHash64(person_id)), reinterpretAsFixedString(toUInt16(date)),
    reinterpretAsFixedString(toInt64(hours * 1000000)), reinterpretAsFixedString(deleted)))) AS entries
FROM (
    SELECT xxHash64(concat(source, '\0', external_id)) AS key, version, person_id, date, hours, deleted
    FROM ops.time_entries
    WHERE org_id = {org:String}
      AND ((date BETWEEN {from:Date} AND {to:Date}
            AND ({persons:String} = '' OR person_id IN (SELECT arrayJoin(splitByChar('\n', {persons:String}))))
            AND ({days:String} = ''
                 OR bitXor(xxHash64(person_id), toUInt64(toUInt16(date)))
                    IN (SELECT arrayJoin(arrayMap(x -> toUInt64(x), splitByChar(',', {days:String}))))))
           OR deleted = 1)
    ORDER BY key, version DESC
)
