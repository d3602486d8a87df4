-- import_keys_drop: removes one import's keys from ops.import_keys once the
-- import ended (sql/schema/0012_import_keys.sql). The run is the partition.
-- Parameters: run {run:String}.
-- Columns: none.
ALTER TABLE ops.import_keys DROP PARTITION {run:String}
