-- existing_keys: which of a batch's natural keys are already stored and live
-- (not tombstoned), so an import can report new versus updated records.
-- The ids go through a subquery: `IN {ids:Array(String)}` with 50k long ids
-- took 54 s here, `IN (SELECT arrayJoin(...))` 0.44 s.
-- Parameters: table {table:Identifier} (an entity table of ops, chosen by the
-- code, never by a user), org {org:String}, source {source:String},
-- ids {ids:Array(String)}.
-- Columns: external_id String.
SELECT external_id
FROM ops.{table:Identifier} FINAL
WHERE org_id = {org:String} AND source = {source:String}
  AND external_id IN (SELECT arrayJoin({ids:Array(String)}))
GROUP BY external_id
