-- day_hours_ahead: how many time entry rows an org stores from a day on, and
-- the last day among them, so that an export read in date order can size its
-- first window of stored entries (day_hours) to about the number of entries
-- it aims at: each window read passes over the org's rows, so the fewer the
-- better. Rows, not records: versions not yet merged and tombstones count
-- too, which only makes a window smaller than it could be.
-- Parameters: org {org:String}, from {from:Date}.
-- Columns: rows UInt64, last Date (1970-01-01 when there are none).
SELECT count() AS rows, max(date) AS last
FROM ops.time_entries
WHERE org_id = {org:String} AND date >= {from:Date}
