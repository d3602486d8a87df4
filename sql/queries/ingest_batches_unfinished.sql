-- ingest_batches_unfinished: the staged intake batches that neither became
-- visible nor were dropped (the process stopped while they were staging or
-- committing), for start-up recovery.
-- Parameters: none.
-- Columns: org_id String, batch_id String, source String, format String,
-- file_name String, file_sha256 String, started_at DateTime64(3, 'UTC'),
-- rows_read UInt64, rows_inserted UInt64, rows_rejected UInt64, status String.
SELECT org_id, batch_id, toString(source) AS source, toString(format) AS format, file_name, file_sha256,
       started_at, rows_read, rows_inserted, rows_rejected, toString(status) AS status
FROM ops.ingest_batches FINAL
WHERE status IN ('staging', 'committing')
ORDER BY started_at
