-- sync_seen_drop: removes one collector sync's keys from ops.sync_seen once
-- the sync ended (sql/schema/0007_sync_seen.sql). The sync is the partition.
-- Parameters: sync {sync:String}.
-- Columns: none.
ALTER TABLE ops.sync_seen DROP PARTITION {sync:String}
