-- day_hours: the live time entries stored on some person-days, for the limit
-- of 24 hours per person and day that an import checks per batch.
-- The latest version of each key is read with argMax from the rows in the
-- batch's date range on its person-days, plus every tombstone (stored with
-- no person or date), instead of FINAL over the whole table. An edit that
-- moved an entry to another day or person leaves its old version in range
-- until the versions are merged; it then counts on its old day too.
-- Parameters: org {org:String}, from {from:Date}, to {to:Date} (the batch's
-- first and last date), days {days:String} (a person id, a tab and the date
-- as YYYY-MM-DD, one pair a line; ids hold no control characters).
-- Columns: source String, external_id String, person String, day Date,
-- micros Int64 (the hours in millionths).
SELECT source, external_id, person, day, toInt64(h * 1000000) AS micros
FROM (
    SELECT source, external_id, argMax(person_id, version) AS person, argMax(date, version) AS day,
        argMax(hours, version) AS h, argMax(deleted, version) AS gone
    FROM ops.time_entries
    WHERE org_id = {org:String}
      AND ((date BETWEEN {from:Date} AND {to:Date} AND (person_id, date) IN (
              SELECT d[1], toDate(d[2]) FROM (SELECT splitByChar('\t', arrayJoin(splitByChar('\n', {days:String}))) AS d)))
           OR deleted = 1)
    GROUP BY source, external_id
)
WHERE gone = 0
