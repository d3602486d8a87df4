-- session_by_hash: a browser session by the SHA-256 of its id.
-- Parameters: hash {hash:String}.
-- Columns: org_id String, user_id String, token_id String, created_at DateTime64(3, 'UTC'),
--   expires_at DateTime64(3, 'UTC'), last_seen DateTime64(3, 'UTC'), revoked UInt8.
SELECT org_id, user_id, token_id, created_at, expires_at, last_seen, revoked
FROM ops.sessions FINAL
WHERE id_hash = {hash:String}
