-- The webhooks' reconciler (issue 16): per hook, where its last poll of the
-- tool's API ended and how its runs went, as `hook list` and the API show
-- them. One row per run; the newest (version) is the state. Times that are
-- not set are the epoch, not NULL: argMax skips NULLs, so a failure cleared
-- by a success would come back.
CREATE TABLE IF NOT EXISTS ops.hook_cursors
(
    org_id        String,
    hook_id       String,
    cursor        DateTime64(3, 'UTC'), -- the next poll reads changes after it; advances only with a written run
    last_attempt  DateTime64(3, 'UTC'),
    last_success  DateTime64(3, 'UTC'), -- epoch: never
    failing_since DateTime64(3, 'UTC'), -- epoch: not failing
    last_error    String,               -- in words, token redacted, '' after a success
    needs_token   UInt8,                -- the tool refused the hook's token
    added         UInt64,               -- task events the last successful run added
    version       UInt64
)
ENGINE = ReplacingMergeTree(version) -- only the latest run matters
ORDER BY (org_id, hook_id);          -- read per org, one row per hook after merges
