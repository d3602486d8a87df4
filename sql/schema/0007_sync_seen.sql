-- What one collector sync was given (ingest/collect/sync.go): the keys of
-- the records the tool listed, written in blocks as they come, so that the
-- stored records the tool no longer has are found by an anti-join in the
-- engine, not by a map of every key in the process: a sync's memory stays
-- flat in the number of entries. date is a time entry's date (the CSV rows
-- of the same tool on it are replaced), a booking's start date or an
-- invoice line's date. A sync drops its rows when it ends; the TTL removes
-- what a crash leaves and, on a cluster (where DROP PARTITION cannot go
-- through a Distributed table), all of them a day later.
CREATE TABLE IF NOT EXISTS ops.sync_seen
(
    org_id      String,
    sync_id     String,
    entity      LowCardinality(String),
    external_id String,
    date        Date,
    seen_at     DateTime DEFAULT now()
)
ENGINE = MergeTree PARTITION BY sync_id          -- a sync's rows go with one DROP PARTITION
ORDER BY (org_id, sync_id, entity, external_id) -- read per sync and entity; the org first shards it with the org's tables
TTL seen_at + INTERVAL 1 DAY;
