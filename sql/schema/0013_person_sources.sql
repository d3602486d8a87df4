-- One person, one id, the fields (issue 15): what each source says of a
-- person the org has from several sources (a Harvest user who is also a
-- Float person, a people file's row for a tool's user). ops.people holds the
-- merge of these by field and by authority (ingest.MergePerson): the time
-- tracker's rates, the booking tool's capacity, the org's own people file
-- over every tool. A person only one source knows has no rows here: their
-- ops.people rows are that source's word.
CREATE TABLE IF NOT EXISTS ops.person_sources
(
    org_id                String,
    source                LowCardinality(String),
    external_id           String,                -- the source's id of the person
    person_id             String,                -- the org's person it is (ops.people.external_id)
    valid_from            Date,                  -- the source's effective date of this version
    name                  String,
    email                 String,
    role                  LowCardinality(String),
    team                  LowCardinality(String),
    weekly_capacity_hours Decimal(18, 6),
    workdays              UInt8 DEFAULT 31,
    cost_rate             Nullable(Decimal(18, 4)),
    bill_rate             Nullable(Decimal(18, 4)),
    utilization_target    Nullable(Decimal(9, 6)),
    start_date            Nullable(Date),
    end_date              Nullable(Date),
    holiday_calendar      String DEFAULT '',
    capacity_assumed      UInt8 DEFAULT 0,
    version               UInt64,
    deleted               UInt8 DEFAULT 0,
    ingested_at           DateTime64(3, 'UTC'),
    batch_id              String
)
ENGINE = ReplacingMergeTree(version, deleted)             -- a source's later word replaces its earlier
ORDER BY (org_id, source, external_id, valid_from);      -- the source's natural key plus its effective date; read per org

-- Staged like the entities (0005_staging.sql): a sync's words become
-- visible with the merged rows they produced, or not at all.
CREATE TABLE IF NOT EXISTS ops.staging_person_sources AS ops.person_sources
ENGINE = MergeTree PARTITION BY batch_id ORDER BY org_id TTL toDateTime(ingested_at) + INTERVAL 1 DAY;
