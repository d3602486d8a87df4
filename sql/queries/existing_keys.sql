-- existing_keys: which of a batch's natural keys are stored and live (their
-- latest version is not a tombstone), so an import can report new versus
-- updated records. Versions written by this import's own batch (an export
-- read a second time) do not count: they were not stored before it.
-- The latest version per key (argMax) is read from the rows of the batch's
-- keys alone; FINAL would merge the whole table, which took a 1.5M-row
-- re-import from 54 s to 228 s. The ids come as one string, one id a line
-- (ids hold no control characters): parsing an Array(String) parameter of
-- 25,000 ids took 0.4-1.5 s, as long as the lookup itself.
-- Parameters: table {table:Identifier} (an entity table of ops, chosen by the
-- code, never by a user), org {org:String}, source {source:String},
-- ids {ids:String} (the ids separated by newlines), batch {batch:String}.
-- Columns: external_id String.
SELECT external_id
FROM ops.{table:Identifier}
WHERE org_id = {org:String} AND source = {source:String}
  AND external_id IN (SELECT arrayJoin(splitByChar('\n', {ids:String})))
GROUP BY external_id
HAVING argMax(deleted, version) = 0 AND argMax(batch_id, version) != {batch:String}
