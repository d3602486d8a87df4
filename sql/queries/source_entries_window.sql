-- source_entries_window: the live time entries one source (a tool) of an
-- org has stored on the dates of a window, for a collector to find what the
-- tool no longer has and what a CSV import of the same tool holds there.
-- The latest version of each key with a row in the window decides (an edit
-- may have moved the entry out of it); FINAL would merge the whole table.
-- Parameters: org {org:String}, source {source:String}, from {from:Date}, to {to:Date}.
-- Columns: external_id String, d Date, v UInt64 (the stored version).
SELECT external_id, argMax(date, version) AS d, max(version) AS v
FROM ops.time_entries
WHERE org_id = {org:String} AND source = {source:String}
  AND external_id IN (
      SELECT external_id FROM ops.time_entries
      WHERE org_id = {org:String} AND source = {source:String} AND date >= {from:Date} AND date <= {to:Date})
GROUP BY external_id
HAVING argMax(deleted, version) = 0 AND d >= {from:Date} AND d <= {to:Date}
