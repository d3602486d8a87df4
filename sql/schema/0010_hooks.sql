-- Hooks (issue 16): the webhooks of task tools (Jira, ClickUp, Asana,
-- Trello, GitHub) an org receives at /hooks/{hook_id}, and what became of
-- each delivery. secret_sealed and token_sealed are auth.Sealer ciphertext
-- ("v1:" + base64), sealed with the org and hook id as context; the key is
-- never stored here.
CREATE TABLE IF NOT EXISTS ops.hooks
(
    org_id        String,
    hook_id       String,
    tool          LowCardinality(String),
    secret_sealed String, -- '' until Asana's handshake gives it
    token_sealed  String, -- '' without an API token
    base_url      String, -- the tool's API root for the token ('' is the tool's own)
    callback_url  String, -- the URL pasted into the tool; Trello signs with it
    client        String, -- the default client and project of the hook's tasks
    project       String,
    created_at    DateTime64(3, 'UTC'),
    version       UInt64,
    deleted       UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(version, deleted) -- the handshake's secret or a removal replaces the row
ORDER BY (org_id, hook_id);                   -- hooks are listed per org and found by id

-- One row per received delivery (a tool's retry of it is a row of its own,
-- found by delivery_id); a replay replaces the row of its receipt. The body
-- and the headers a Mapper reads are kept for replay, 30 days.
CREATE TABLE IF NOT EXISTS ops.hook_deliveries
(
    org_id      String,
    hook_id     String,
    received    DateTime64(6, 'UTC'),
    delivery_id String,
    tool        LowCardinality(String),
    event       String,
    status      LowCardinality(String), -- applied, ignored or failed
    reason      String,
    records     UInt32,
    header      String, -- JSON of the kept headers
    body        String,
    version     UInt64
)
ENGINE = ReplacingMergeTree(version)          -- a replay's outcome replaces the receipt's
ORDER BY (org_id, hook_id, received, delivery_id) -- listed per hook by time; one row per receipt
TTL toDateTime(received) + INTERVAL 30 DAY;   -- the tools' own logs keep less
