-- sessions_of_user: a user's sessions that are not ended, to end them all
-- ("sign out everywhere", the user removed).
-- Parameters: org {org:String}, user {user:String}, now {now:DateTime64(3, 'UTC')}.
-- Columns: id_hash String, created_at DateTime64(3, 'UTC'), expires_at DateTime64(3, 'UTC'),
--   last_seen DateTime64(3, 'UTC').
SELECT id_hash, created_at, expires_at, last_seen
FROM ops.sessions FINAL
WHERE org_id = {org:String} AND user_id = {user:String} AND revoked = 0 AND expires_at > {now:DateTime64(3, 'UTC')}
