-- import_keys_get: what an import gave some of its keys in earlier batches
-- (sql/schema/0012_import_keys.sql): the latest row of each key found.
-- The keys come as one string of decimal numbers separated by commas:
-- parsing an Array parameter of 25,000 values costs as much as the lookup.
-- Parameters: run {run:String}, kind {kind:UInt8}, keys {keys:String}.
-- Columns: key UInt64, value Int64, person UInt64, day Int32, flags UInt8.
SELECT key, argMax(value, seq) AS value, argMax(person, seq) AS person, argMax(day, seq) AS day,
       argMax(flags, seq) AS flags
FROM ops.import_keys
WHERE run_id = {run:String} AND kind = {kind:UInt8}
  AND key IN (SELECT arrayJoin(arrayMap(x -> toUInt64(x), splitByChar(',', {keys:String}))))
GROUP BY key
