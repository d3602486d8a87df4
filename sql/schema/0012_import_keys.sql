-- What one import has given each key so far (ingest/importer/spill.go): the
-- state the importer used to keep in a map of every key of the input, to
-- count a key given twice as repeated once (kind 0: the winning version,
-- micros of its updated_at in value, flags 1 deleted and 2 stored before the
-- import) and to move a key's hours when the 24-hour check sees it again
-- (kind 1: person hash, day and hours in millionths in value; person and
-- day 0 for a tombstone). After each batch the batch's keys are written here and the map
-- is emptied; the next batch reads back the latest row (greatest seq) of
-- each of its keys. An import's memory stays flat in the number of keys.
-- An import drops its rows when it ends; the TTL removes what a crash leaves
-- and, on a cluster (where DROP PARTITION cannot go through a Distributed
-- table), all of them a day later.
CREATE TABLE IF NOT EXISTS ops.import_keys
(
    run_id     String,
    kind       UInt8,
    key        UInt64,
    seq        UInt32,
    value      Int64,
    person     UInt64,
    day        Int32,
    flags      UInt8,
    written_at DateTime DEFAULT now()
)
ENGINE = MergeTree PARTITION BY run_id -- a run's rows go with one DROP PARTITION
ORDER BY (run_id, kind, key)           -- read per run, kind and key; the run first keeps a run on one shard of a cluster
TTL written_at + INTERVAL 1 DAY;
