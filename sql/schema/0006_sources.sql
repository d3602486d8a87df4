-- Sources (issue 15): the accounts of time trackers an org connects, which
-- the collectors (ingest/collect) pull from. Three tables, because they
-- change at three rates: a source's settings and sealed token (rarely), its
-- sync state and cursor (every sync), and the lease that keeps one serve
-- replica syncing it at a time (every few minutes).
--   token_sealed is AES-256-GCM ciphertext (auth.Sealer, "v1:" + base64);
-- the key is never stored here (OPSMETRICS_SECRET_KEY or a key file).
CREATE TABLE IF NOT EXISTS ops.sources
(
    org_id        String,
    source_id     String,
    kind          LowCardinality(String),
    account_id    String,
    workspace     String,
    base_url      String,
    since         Nullable(Date),
    every_seconds UInt32,
    token_sealed  String,
    created_at    DateTime64(3, 'UTC'),
    version       UInt64,
    deleted       UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(version, deleted) -- a new token or removal replaces the row
ORDER BY (org_id, source_id);                 -- sources are listed per org and found by id

-- One row per sync attempt; the newest (version) is the state. The cursor
-- (JSON of collect.Cursor) advances only with a sync whose batch is visible.
CREATE TABLE IF NOT EXISTS ops.source_state
(
    org_id        String,
    source_id     String,
    cursor        String,
    last_attempt  DateTime64(3, 'UTC'),
    last_success  Nullable(DateTime64(3, 'UTC')),
    failing_since Nullable(DateTime64(3, 'UTC')),
    last_error    String,
    needs_token   UInt8,
    rows_added    UInt64,
    rows_updated  UInt64,
    rows_deleted  UInt64,
    version       UInt64
)
ENGINE = ReplacingMergeTree(version) -- only the latest attempt matters
ORDER BY (org_id, source_id);       -- read per org, one row per source after merges

-- The lease a serve replica takes before a scheduled sync: the row with the
-- greatest version holds it until lease_until.
CREATE TABLE IF NOT EXISTS ops.source_leases
(
    org_id      String,
    source_id   String,
    owner       String,
    lease_until DateTime64(3, 'UTC'),
    version     UInt64
)
ENGINE = ReplacingMergeTree(version) -- the last taker wins
ORDER BY (org_id, source_id);       -- one lease per source
