-- Hook mappings (issue 16): per org and task tool, what a status means (its
-- phase of the operating loop, its review outcome) and where a tool's
-- project, list, board or repository belongs (a client and project). Only
-- the org's overrides are stored; ingest/hook's DefaultMapping is the rest.
--   One table for all three kinds, not ops.phase_mappings (0001, never
-- written) plus two more: a PUT of phases, outcomes and targets together is
-- one INSERT, so it lands whole or not at all, and reading a tool's mapping
-- is one query.
--   key is a status as hook.NormalizeStatus leaves it (kind phase or
-- outcome) or the tool's container id (kind target); value is the phase or
-- outcome ('' for a target).
CREATE TABLE IF NOT EXISTS ops.hook_mappings
(
    org_id     String,
    tool       LowCardinality(String),
    kind       LowCardinality(String),
    key        String,
    value      String,
    client_id  String,
    project_id String,
    version    UInt64,
    deleted    UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(version, deleted) -- a change replaces the rule, a reset tombstones it
ORDER BY (org_id, tool, kind, key);           -- one rule per key; read per org and tool
