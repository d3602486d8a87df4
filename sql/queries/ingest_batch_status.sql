-- ingest_batch_status: the latest status of one ingest batch.
-- Parameters: org {org:String}, batch id {batch:String}.
-- Columns: status String, rows_inserted UInt64, finished_at Nullable(DateTime64(3, 'UTC')).
SELECT status, rows_inserted, finished_at
FROM ops.ingest_batches FINAL
WHERE org_id = {org:String} AND batch_id = {batch:String}
