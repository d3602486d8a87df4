-- source_span_versions: the stored versions of a block of one source's
-- allocations or time off, for a collector to skip a booking the tool gives
-- again unchanged (see source_versions.sql, which does the same for time
-- entries). The latest version of each key decides; a key whose latest row
-- is a tombstone comes with deleted 1, so that a booking given again after
-- a deletion is written with a version above the tombstone's.
-- Parameters: table {table:Identifier} (allocations or time_off, chosen by
-- the code, never by a user), org {org:String}, source {source:String}, ids
-- {ids:String} (the ids separated by newlines).
-- Columns: external_id String, v UInt64 (the stored version), deleted UInt8.
SELECT external_id, max(version) AS v, argMax(deleted, version) AS deleted
FROM ops.{table:Identifier}
WHERE org_id = {org:String} AND source = {source:String}
  AND external_id IN (SELECT arrayJoin(splitByChar('\n', {ids:String})))
GROUP BY external_id
