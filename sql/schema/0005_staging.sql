-- Staging tables: an HTTP intake request (POST /api/v1/{entity}, POST
-- /api/v1/import) writes its rows here under its batch_id, and only once the
-- whole body was read without an error are they copied into the tables the
-- KPIs read, one INSERT ... SELECT per table (sql/queries/staging_copy.sql),
-- so a request answered with an error, or killed part way, leaves nothing
-- visible (docs/import.md). ops.ingest_batches follows a staged batch as
-- staging -> committing -> done, or failed; a batch found committing at
-- start-up is copied again (the copy is idempotent: same keys and versions),
-- one found staging is dropped.
--   Each has the columns of its table, in the same order (the copy is
-- SELECT *), and must get every column later added to its table
-- (ingest/importer/stage_test.go checks). ops.orgs has no batch_id, so
-- staging_orgs lists the columns of ops.orgs (0001 and 0003) and adds
-- batch_id last; its copy leaves batch_id out. MergeTree, not Replacing: a batch's rows are
-- only ever read whole and copied. PARTITION BY batch_id: a batch is dropped
-- with one DROP PARTITION once copied or abandoned. ORDER BY org_id: nothing
-- reads them by key; on a cluster it shards them by org like their tables.
-- The TTL removes what a crash or a failed drop leaves (and, on a cluster,
-- where DROP PARTITION cannot go through a Distributed table, every batch)
-- a day later; no request lasts that long.
CREATE TABLE IF NOT EXISTS ops.staging_orgs
(
    org_id               String,
    name                 String,
    time_zone            String DEFAULT 'UTC',
    currency             LowCardinality(String) DEFAULT 'USD',
    workdays             UInt8 DEFAULT 31,
    workday_start_minute UInt16 DEFAULT 540,
    workday_end_minute   UInt16 DEFAULT 1020,
    overhead_per_hour    Decimal(18, 4) DEFAULT 0,
    grace_days           UInt16 DEFAULT 0,
    version              UInt64,
    deleted              UInt8 DEFAULT 0,
    ingested_at          DateTime64(3, 'UTC') DEFAULT now64(3),
    stuck_review_hours   UInt16 DEFAULT 48,
    batch_id             String
)
ENGINE = MergeTree PARTITION BY batch_id ORDER BY org_id TTL toDateTime(ingested_at) + INTERVAL 1 DAY;

CREATE TABLE IF NOT EXISTS ops.staging_people AS ops.people
ENGINE = MergeTree PARTITION BY batch_id ORDER BY org_id TTL toDateTime(ingested_at) + INTERVAL 1 DAY;

CREATE TABLE IF NOT EXISTS ops.staging_clients AS ops.clients
ENGINE = MergeTree PARTITION BY batch_id ORDER BY org_id TTL toDateTime(ingested_at) + INTERVAL 1 DAY;

CREATE TABLE IF NOT EXISTS ops.staging_projects AS ops.projects
ENGINE = MergeTree PARTITION BY batch_id ORDER BY org_id TTL toDateTime(ingested_at) + INTERVAL 1 DAY;

CREATE TABLE IF NOT EXISTS ops.staging_time_entries AS ops.time_entries
ENGINE = MergeTree PARTITION BY batch_id ORDER BY org_id TTL toDateTime(ingested_at) + INTERVAL 1 DAY;

CREATE TABLE IF NOT EXISTS ops.staging_deliverables AS ops.deliverables
ENGINE = MergeTree PARTITION BY batch_id ORDER BY org_id TTL toDateTime(ingested_at) + INTERVAL 1 DAY;

CREATE TABLE IF NOT EXISTS ops.staging_task_events AS ops.task_events
ENGINE = MergeTree PARTITION BY batch_id ORDER BY org_id TTL toDateTime(ingested_at) + INTERVAL 1 DAY;

CREATE TABLE IF NOT EXISTS ops.staging_allocations AS ops.allocations
ENGINE = MergeTree PARTITION BY batch_id ORDER BY org_id TTL toDateTime(ingested_at) + INTERVAL 1 DAY;

CREATE TABLE IF NOT EXISTS ops.staging_time_off AS ops.time_off
ENGINE = MergeTree PARTITION BY batch_id ORDER BY org_id TTL toDateTime(ingested_at) + INTERVAL 1 DAY;

CREATE TABLE IF NOT EXISTS ops.staging_holidays AS ops.holidays
ENGINE = MergeTree PARTITION BY batch_id ORDER BY org_id TTL toDateTime(ingested_at) + INTERVAL 1 DAY;

CREATE TABLE IF NOT EXISTS ops.staging_adjustments AS ops.adjustments
ENGINE = MergeTree PARTITION BY batch_id ORDER BY org_id TTL toDateTime(ingested_at) + INTERVAL 1 DAY;

CREATE TABLE IF NOT EXISTS ops.staging_invoice_lines AS ops.invoice_lines
ENGINE = MergeTree PARTITION BY batch_id ORDER BY org_id TTL toDateTime(ingested_at) + INTERVAL 1 DAY;
