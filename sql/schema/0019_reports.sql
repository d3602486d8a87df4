-- The monthly client report and the loop back into the plan (issue 18):
-- the team's commentary per client and month, "next month" actions and
-- decisions, the quarterly retro, which KPIs each client's report carries,
-- and the drafts prepared on the first workday of a month.

--   MergeTree, not Replacing: every save of a text is a row of its own, so
--   edits are kept (who wrote what, when); the latest row per field is the
--   text in force. client_id '' holds the org's quarterly retro texts.
CREATE TABLE IF NOT EXISTS ops.report_notes
(
    org_id    String,
    client_id String,                 -- the client reported on; '' for the org's retro
    period    Date,                   -- the report's month, or the retro's quarter (its first day)
    field     LowCardinality(String), -- commentary (shown to the client), internal (never shown to the client); worked, broke, slowed (retro)
    body      String,                 -- plain text as written, '' when cleared
    author    String,                 -- a user's email, "token <id>" or "cli"
    at        DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (org_id, client_id, period, field, at); -- read per report, the history in time order

--   ReplacingMergeTree(version, deleted): closing, reopening or changing an
--   action writes its row again with a higher version; FINAL reads the
--   latest and never a removed one.
CREATE TABLE IF NOT EXISTS ops.report_actions
(
    org_id     String,
    action_id  String,                 -- ac_ and 12 hex digits
    client_id  String,                 -- the client's report it came from; '' for a retro's
    origin     LowCardinality(String), -- report or retro
    period     Date,                   -- the report's month or the retro's quarter it came from
    kind       LowCardinality(String), -- action or decision
    title      String,
    owner      String,                 -- a person id of the org (ops.people)
    due        Date,
    status     LowCardinality(String), -- open or closed
    created_by String,
    created_at DateTime64(3, 'UTC'),
    closed_by  String,                 -- '' while open
    closed_at  Nullable(DateTime64(3, 'UTC')),
    version    UInt64,
    deleted    UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY (org_id, action_id); -- listed per org, one row per action after merges

--   ReplacingMergeTree(version, deleted): one retro per org and quarter;
--   saving again replaces its date, removing writes it deleted.
CREATE TABLE IF NOT EXISTS ops.retros
(
    org_id     String,
    quarter    Date,                   -- the quarter's first day
    held_on    Date,                   -- the day it was held, in the org's calendar
    author     String,
    created_at DateTime64(3, 'UTC'),
    version    UInt64,
    deleted    UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY (org_id, quarter); -- one per quarter; the maturity level reads the last two

--   ReplacingMergeTree(version): which KPIs a client's report carries, with
--   their targets, and who receives it; saving again replaces it. A client
--   without a row gets the default set for its kind (retainer or project).
CREATE TABLE IF NOT EXISTS ops.client_reports
(
    org_id     String,
    client_id  String,
    contract   String,                 -- JSON: [{"kpi": "deliverables", "target": 0.9}, ...]
    recipients Array(String),          -- email addresses the report is sent to
    updated_by String,
    updated_at DateTime64(3, 'UTC'),
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (org_id, client_id); -- one per client

--   ReplacingMergeTree(version): a draft per client and month, prepared on
--   the month's first workday and written again when sent.
CREATE TABLE IF NOT EXISTS ops.report_drafts
(
    org_id      String,
    client_id   String,
    month       Date,                   -- the month reported on (the one before the month it was prepared in)
    status      LowCardinality(String), -- draft or sent
    prepared_at DateTime64(3, 'UTC'),
    sent_at     Nullable(DateTime64(3, 'UTC')),
    sent_by     String,
    sent_to     Array(String),
    version     UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (org_id, month, client_id); -- listed per org and month
