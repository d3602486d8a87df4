-- source_dates_window: the live records of one source (a tool) of an org in
-- a table of dated records (invoice_lines) dated in a window, for a
-- collector to find the records the tool no longer lists. The latest
-- version of each key decides (an edit may have moved the date out of the
-- window); FINAL would merge the whole table, and the (org_id, source, ...)
-- sort key keeps this read to the source's own rows. The columns are those
-- of source_spans_window, the date as both start and end.
-- Parameters: table {table:Identifier} (invoice_lines, chosen by the code,
-- never by a user), org {org:String}, source {source:String}, from
-- {from:Date}, to {to:Date}.
-- Columns: external_id String, s Date (date), e Date (date).
SELECT external_id, argMax(date, version) AS s, s AS e
FROM ops.{table:Identifier}
WHERE org_id = {org:String} AND source = {source:String}
GROUP BY external_id
HAVING argMax(deleted, version) = 0 AND s >= {from:Date} AND s <= {to:Date}
