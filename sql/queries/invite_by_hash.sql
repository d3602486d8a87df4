-- invite_by_hash: the live invitation whose link has this SHA-256; an
-- invitation replaced by a newer one for the same user is not found.
-- Parameters: hash {hash:String}.
-- Columns: org_id String, user_id String, created_by String,
--   expires_at DateTime64(3, 'UTC'), used UInt8.
SELECT org_id, user_id, created_by, expires_at, used
FROM ops.invites FINAL
WHERE link_hash = {hash:String}
