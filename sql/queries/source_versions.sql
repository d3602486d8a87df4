-- source_versions: the stored live versions of a block of one source's time
-- entries, for a collector to skip an entry the tool gives again unchanged
-- (the same updated_at and date) without holding every stored entry. The
-- latest version of each key decides. The ids come as one string, one a line,
-- for the reasons existing_keys.sql gives.
-- Parameters: org {org:String}, source {source:String}, ids {ids:String} (the
-- ids separated by newlines).
-- Columns: external_id String, d Date (the stored date), v UInt64 (the stored version).
SELECT external_id, argMax(date, version) AS d, max(version) AS v
FROM ops.time_entries
WHERE org_id = {org:String} AND source = {source:String}
  AND external_id IN (SELECT arrayJoin(splitByChar('\n', {ids:String})))
GROUP BY external_id
HAVING argMax(deleted, version) = 0
