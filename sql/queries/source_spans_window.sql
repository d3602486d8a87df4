-- source_spans_window: the live records of one source (a tool) of an org in
-- a table of date spans (allocations, time_off) that overlap a window, for a
-- collector to find the bookings the tool no longer lists. The latest
-- version of each key decides (an edit may have moved the span out of the
-- window); FINAL would merge the whole table, and the (org_id, source, ...)
-- sort key keeps this read to the source's own rows.
-- Parameters: table {table:Identifier} (allocations or time_off, chosen by
-- the code, never by a user), org {org:String}, source {source:String},
-- from {from:Date}, to {to:Date}.
-- Columns: external_id String, s Date (start_date), e Date (end_date).
SELECT external_id, argMax(start_date, version) AS s, argMax(end_date, version) AS e
FROM ops.{table:Identifier}
WHERE org_id = {org:String} AND source = {source:String}
GROUP BY external_id
HAVING argMax(deleted, version) = 0 AND s <= {to:Date} AND e >= {from:Date}
