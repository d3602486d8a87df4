-- The audit trail (issue 17): every change made through the app, the API
-- or the CLI to an org's settings, people, clients, projects, thresholds,
-- sources, hooks, users and tokens: who, when, what, and the value before
-- and after as JSON (secrets never: a source's token shows as "set").
--   MergeTree, not Replacing: the trail is append-only and never rewritten.
CREATE TABLE IF NOT EXISTS ops.audit
(
    org_id  String,
    at      DateTime64(3, 'UTC'),
    who     String,                 -- a user's email or "token <id>" or "cli"
    kind    LowCardinality(String), -- settings, person, client, project, threshold, source, hook, user, token
    subject String,                 -- the changed thing's id ('' for the org's settings)
    name    String,                 -- its name when it was changed, for people reading the trail
    before  String,                 -- JSON, '' when created
    after   String                  -- JSON, '' when removed
)
ENGINE = MergeTree
ORDER BY (org_id, at); -- listed per org, newest first
