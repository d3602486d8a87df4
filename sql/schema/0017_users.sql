-- Users, browser sessions and invitations (issue 17): people sign in as
-- themselves with a role; API tokens stay for machines.
--   ReplacingMergeTree(version, deleted): a change writes the user's row
--   again with a higher version, and a removal writes it deleted, so FINAL
--   reads each user's latest row and never a removed one.
CREATE TABLE IF NOT EXISTS ops.users
(
    org_id        String,
    user_id       String,                 -- u_ and 16 hex digits, made at the invitation
    email         String,                 -- lower case; one email is a user of several orgs at most once each
    name          String,
    role          LowCardinality(String), -- admin, partner, ops, sales, viewer
    password_hash String,                 -- PHC string ($argon2id$v=19$...), '' until the invitation is accepted
    created_at    DateTime64(3, 'UTC'),
    version       UInt64,
    deleted       UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY (org_id, user_id); -- listed per org; one row per user after merges

--   ReplacingMergeTree(version): touching (last_seen) and ending (revoked)
--   write the session's row again; FINAL reads its latest. The TTL drops a
--   session 30 days after its absolute end, keeping "last sign-in" a while.
CREATE TABLE IF NOT EXISTS ops.sessions
(
    id_hash    String,                 -- hex SHA-256 of the cookie's random id; the id itself is never stored
    org_id     String,
    user_id    String,                 -- a person's session, or
    token_id   String,                 -- a session signed in with an API token ('' for a person's)
    created_at DateTime64(3, 'UTC'),
    expires_at DateTime64(3, 'UTC'),   -- the absolute end, whatever the activity
    last_seen  DateTime64(3, 'UTC'),   -- for the idle timeout, written at most every few minutes
    revoked    UInt8 DEFAULT 0,        -- signed out (here or everywhere), or the user removed
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id_hash -- every request looks a session up by its hash
TTL toDateTime(expires_at) + INTERVAL 30 DAY;

--   ReplacingMergeTree(version) by (org_id, user_id): a user has one live
--   invitation, so inviting again replaces the old link (FINAL no longer
--   finds its hash), and accepting writes it again as used.
CREATE TABLE IF NOT EXISTS ops.invites
(
    org_id     String,
    user_id    String,
    link_hash  String,                 -- hex SHA-256 of the one-time link's token; the token is never stored
    created_by String,                 -- who invited: an email, "token <id>" or "cli"
    expires_at DateTime64(3, 'UTC'),
    used       UInt8 DEFAULT 0,
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (org_id, user_id); -- one invitation per user
