-- opsmetrics schema, version 1: the canonical model of spec/formats.md.
--
-- Conventions for every source entity table:
--   org_id       the tenant; every ORDER BY starts with it so one org's queries
--                read only that org's granules.
--   source       where the record came from (harvest, toggl, api, csv, demo, ...).
--   external_id  the source's id; (org_id, source, external_id) is the natural key.
--   version      updated_at in microseconds when the source gives it, else the
--                ingest time in microseconds: the newest version wins.
--   deleted      1 for a tombstone; FINAL drops the key entirely.
--   ingested_at, batch_id   link each row to its ingest_batches record.
-- Engine for those tables: ReplacingMergeTree(version, deleted), so re-ingesting
-- a key replaces it and a tombstone removes it; reads use FINAL (docs/benchmarks.md
-- has the FINAL vs argMax measurement). No PARTITION BY: versions of one key must
-- stay in one partition to be merged, and the natural key has no date in it.

CREATE DATABASE IF NOT EXISTS ops;

CREATE TABLE IF NOT EXISTS ops.orgs
(
    org_id               String,
    name                 String,
    time_zone            String DEFAULT 'UTC',
    currency             LowCardinality(String) DEFAULT 'USD',
    workdays             UInt8 DEFAULT 31,          -- bit 0 = Monday ... bit 6 = Sunday
    workday_start_minute UInt16 DEFAULT 540,        -- business hours for approval time
    workday_end_minute   UInt16 DEFAULT 1020,
    overhead_per_hour    Decimal(18, 4) DEFAULT 0,
    grace_days           UInt16 DEFAULT 0,
    version              UInt64,
    deleted              UInt8 DEFAULT 0,
    ingested_at          DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(version, deleted) -- settings change by replacing the row
ORDER BY org_id;                              -- one row per org

CREATE TABLE IF NOT EXISTS ops.api_tokens
(
    org_id      String,
    token_id    String,                 -- public prefix of the token, shown in listings
    token_hash  String,                 -- hex SHA-256 of the whole token; the token itself is never stored
    name        String,
    scopes      Array(LowCardinality(String)),
    created_at  DateTime64(3, 'UTC'),
    expires_at  Nullable(DateTime64(3, 'UTC')),
    version     UInt64,
    deleted     UInt8 DEFAULT 0         -- revoked
)
ENGINE = ReplacingMergeTree(version, deleted) -- revoking replaces the row
ORDER BY (org_id, token_id);                  -- tokens are listed per org

CREATE TABLE IF NOT EXISTS ops.roles
(
    org_id             String,
    role               String,
    valid_from         Date,
    bill_rate          Nullable(Decimal(18, 4)),
    cost_rate          Nullable(Decimal(18, 4)),
    utilization_target Nullable(Decimal(9, 6)),
    version            UInt64,
    deleted            UInt8 DEFAULT 0,
    ingested_at        DateTime64(3, 'UTC') DEFAULT now64(3),
    batch_id           String DEFAULT ''
)
ENGINE = ReplacingMergeTree(version, deleted) -- one row per role and change date
ORDER BY (org_id, role, valid_from);          -- effective-dated lookups by role

CREATE TABLE IF NOT EXISTS ops.people
(
    org_id                String,
    source                LowCardinality(String),
    external_id           String,
    valid_from            Date,                 -- effective dating: one row per change
    name                  String,
    email                 String,
    role                  LowCardinality(String),
    team                  LowCardinality(String),
    weekly_capacity_hours Decimal(18, 6),
    workdays              UInt8 DEFAULT 31,     -- bit 0 = Monday ... bit 6 = Sunday
    cost_rate             Nullable(Decimal(18, 4)),
    bill_rate             Nullable(Decimal(18, 4)),
    utilization_target    Nullable(Decimal(9, 6)),
    start_date            Nullable(Date),
    end_date              Nullable(Date),
    holiday_calendar      String DEFAULT '',    -- '' = the org calendar; 'none' opts out
    version               UInt64,
    deleted               UInt8 DEFAULT 0,
    ingested_at           DateTime64(3, 'UTC'),
    batch_id              String
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY (org_id, source, external_id, valid_from); -- natural key plus the effective date

CREATE TABLE IF NOT EXISTS ops.clients
(
    org_id      String,
    source      LowCardinality(String),
    external_id String,
    name        String,
    currency    LowCardinality(String),
    version     UInt64,
    deleted     UInt8 DEFAULT 0,
    ingested_at DateTime64(3, 'UTC'),
    batch_id    String
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY (org_id, source, external_id); -- natural key

CREATE TABLE IF NOT EXISTS ops.projects
(
    org_id                 String,
    source                 LowCardinality(String),
    external_id            String,
    name                   String,
    client_id              String,
    kind                   LowCardinality(String), -- retainer, fixed_fee, time_and_materials, internal
    billable_default       UInt8,
    bill_rate              Nullable(Decimal(18, 4)),
    budget_hours           Nullable(Decimal(18, 6)),
    budget_amount          Nullable(Decimal(18, 4)),
    retainer_fee_monthly   Nullable(Decimal(18, 4)),
    retainer_hours_monthly Nullable(Decimal(18, 6)),
    start_date             Nullable(Date),
    end_date               Nullable(Date),
    version                UInt64,
    deleted                UInt8 DEFAULT 0,
    ingested_at            DateTime64(3, 'UTC'),
    batch_id               String
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY (org_id, source, external_id); -- natural key

CREATE TABLE IF NOT EXISTS ops.time_entries
(
    org_id         String,
    source         LowCardinality(String),
    external_id    String,
    person_id      String,
    date           Date,
    hours          Decimal(18, 6),
    project_id     String,
    client_id      String,
    task           String,
    notes          String,
    billable       UInt8,
    bill_rate      Nullable(Decimal(18, 4)),
    cost_rate      Nullable(Decimal(18, 4)),
    billing_status LowCardinality(String), -- unbilled, billed, written_off
    invoice_id     String,
    billed_amount  Nullable(Decimal(18, 4)),
    currency       LowCardinality(String),
    tags           Array(String),
    phase          LowCardinality(String),
    deliverable_id String,
    updated_at     Nullable(DateTime64(3, 'UTC')),
    version        UInt64,
    deleted        UInt8 DEFAULT 0,
    ingested_at    DateTime64(3, 'UTC'),
    batch_id       String,
    INDEX date_minmax date TYPE minmax GRANULARITY 4 -- skips granules outside a date range within an org
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY (org_id, source, external_id); -- natural key: an edit that moves the date still replaces

CREATE TABLE IF NOT EXISTS ops.deliverables
(
    org_id             String,
    source             LowCardinality(String),
    external_id        String,
    name               String,
    client_id          String,
    project_id         String,
    due_date           Nullable(Date),
    committed_due_date Nullable(Date),
    delivered_at       Nullable(DateTime64(3, 'UTC')),
    in_scope           UInt8 DEFAULT 1,
    owner_id           String,
    updated_at         Nullable(DateTime64(3, 'UTC')),
    version            UInt64,
    deleted            UInt8 DEFAULT 0,
    ingested_at        DateTime64(3, 'UTC'),
    batch_id           String
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY (org_id, source, external_id); -- natural key

CREATE TABLE IF NOT EXISTS ops.task_events
(
    org_id         String,
    source         LowCardinality(String),
    external_id    String,
    occurred_at    DateTime64(3, 'UTC'),
    type           LowCardinality(String),
    deliverable_id String,
    task_id        String,
    client_id      String,
    project_id     String,
    from_status    String,
    to_status      String,
    phase          LowCardinality(String),
    actor          String,
    due_date       Nullable(Date),
    version        UInt64,
    deleted        UInt8 DEFAULT 0,
    ingested_at    DateTime64(3, 'UTC'),
    batch_id       String
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY (org_id, source, external_id); -- natural key: a redelivered webhook replaces itself

CREATE TABLE IF NOT EXISTS ops.allocations
(
    org_id         String,
    source         LowCardinality(String),
    external_id    String,
    person_id      String,                 -- '' for a role placeholder
    role           LowCardinality(String),
    project_id     String,
    start_date     Date,
    end_date       Date,
    hours_per_week Nullable(Decimal(18, 6)),
    hours_per_day  Nullable(Decimal(18, 6)),
    status         LowCardinality(String), -- confirmed, tentative
    probability    Decimal(9, 6) DEFAULT 1,
    version        UInt64,
    deleted        UInt8 DEFAULT 0,
    ingested_at    DateTime64(3, 'UTC'),
    batch_id       String
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY (org_id, source, external_id); -- natural key

CREATE TABLE IF NOT EXISTS ops.time_off
(
    org_id        String,
    source        LowCardinality(String),
    external_id   String,
    person_id     String,
    start_date    Date,
    end_date      Date,                    -- inclusive, as people book leave
    hours_per_day Nullable(Decimal(18, 6)), -- NULL = the full contracted day
    version       UInt64,
    deleted       UInt8 DEFAULT 0,
    ingested_at   DateTime64(3, 'UTC'),
    batch_id      String
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY (org_id, source, external_id); -- natural key

CREATE TABLE IF NOT EXISTS ops.holidays
(
    org_id      String,
    calendar    String,                    -- '' is the org calendar
    date        Date,
    name        String,
    version     UInt64,
    deleted     UInt8 DEFAULT 0,
    ingested_at DateTime64(3, 'UTC'),
    batch_id    String
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY (org_id, calendar, date); -- natural key of a holiday

CREATE TABLE IF NOT EXISTS ops.adjustments
(
    org_id        String,
    source        LowCardinality(String),
    external_id   String,
    kind          LowCardinality(String),  -- write_off, write_up
    client_id     String,
    project_id    String,
    person_id     String,
    time_entry_id String,
    date          Date,
    hours         Nullable(Decimal(18, 6)),
    amount        Nullable(Decimal(18, 4)),
    reason        LowCardinality(String),  -- over_service, goodwill, internal_error, estimate_overrun, other
    version       UInt64,
    deleted       UInt8 DEFAULT 0,
    ingested_at   DateTime64(3, 'UTC'),
    batch_id      String
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY (org_id, source, external_id); -- natural key

CREATE TABLE IF NOT EXISTS ops.invoice_lines
(
    org_id         String,
    source         LowCardinality(String),
    external_id    String,
    invoice_id     String,
    client_id      String,
    project_id     String,
    date           Date,
    hours          Nullable(Decimal(18, 6)),
    amount         Decimal(18, 4),
    time_entry_ids Array(String),
    version        UInt64,
    deleted        UInt8 DEFAULT 0,
    ingested_at    DateTime64(3, 'UTC'),
    batch_id       String
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY (org_id, source, external_id); -- natural key

CREATE TABLE IF NOT EXISTS ops.alert_thresholds
(
    org_id       String,
    threshold_id String,
    kpi          LowCardinality(String),
    scope_kind   LowCardinality(String),   -- org, client, team
    scope_value  String,
    comparator   LowCardinality(String),   -- gt, lt, outside
    value        Decimal(18, 6),
    for_seconds  UInt32,
    severity     LowCardinality(String),
    created_at   DateTime64(3, 'UTC'),
    version      UInt64,
    deleted      UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(version, deleted) -- PUT replaces, DELETE tombstones
ORDER BY (org_id, threshold_id);              -- listed per org

CREATE TABLE IF NOT EXISTS ops.phase_mappings
(
    org_id  String,
    source  LowCardinality(String),
    status  String,
    phase   LowCardinality(String),
    version UInt64,
    deleted UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY (org_id, source, status); -- one phase per status and source

CREATE TABLE IF NOT EXISTS ops.ingest_batches
(
    org_id        String,
    batch_id      String,
    source        LowCardinality(String),
    format        LowCardinality(String),
    file_name     String,
    file_sha256   String,
    started_at    DateTime64(3, 'UTC'),
    finished_at   Nullable(DateTime64(3, 'UTC')),
    rows_read     UInt64,
    rows_inserted UInt64,
    rows_rejected UInt64,
    status        LowCardinality(String),  -- running, done, failed
    error         String,
    version       UInt64
)
ENGINE = ReplacingMergeTree(version) -- a batch's row is replaced as it progresses
ORDER BY (org_id, batch_id);          -- listed per org
