-- One person, one id (issue 15): what each source calls a person, and the
-- org's person (ops.people.external_id) that is. A person a source brings
-- is matched to the org's stored people by email, then by name
-- (ingest.Resolver); a match writes an alias here, and every record of that
-- source naming the person (time entries, allocations, time off,
-- adjustments) is stored with the org's person id instead of its own. The
-- alias outlives the match: a later sync finds the person by it even after
-- the name or email changed in the tool.
CREATE TABLE IF NOT EXISTS ops.person_aliases
(
    org_id      String,
    source      LowCardinality(String),
    external_id String,                -- the source's id of the person
    person_id   String,                -- the org's person it is
    version     UInt64,
    deleted     UInt8 DEFAULT 0,
    ingested_at DateTime64(3, 'UTC'),
    batch_id    String
)
ENGINE = ReplacingMergeTree(version, deleted) -- a later match replaces the alias
ORDER BY (org_id, source, external_id);       -- natural key; read per org

-- Staged like the entities (0005_staging.sql): a sync's aliases become
-- visible with its rows, or not at all.
CREATE TABLE IF NOT EXISTS ops.staging_person_aliases AS ops.person_aliases
ENGINE = MergeTree PARTITION BY batch_id ORDER BY org_id TTL toDateTime(ingested_at) + INTERVAL 1 DAY;
