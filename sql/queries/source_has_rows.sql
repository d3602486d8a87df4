-- source_has_rows: whether an org already has any record from a source in an
-- entity table. An import into an empty (org, source) skips asking which of
-- its keys exist: all of them are new.
-- Parameters: table {table:Identifier}, org {org:String}, source {source:String}.
-- Columns: found UInt8.
SELECT count() > 0 AS found
FROM (SELECT 1 FROM ops.{table:Identifier} WHERE org_id = {org:String} AND source = {source:String} LIMIT 1)
