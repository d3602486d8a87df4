-- staging_drop: removes one intake batch from one staging table, once it was
-- copied or abandoned. The batch is the partition (PARTITION BY batch_id).
-- Parameters: staging {staging:Identifier} (a staging table, chosen by the
-- code), batch {batch:String}.
-- Columns: none.
ALTER TABLE ops.{staging:Identifier} DROP PARTITION {batch:String}
