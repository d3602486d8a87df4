-- user_by_id: one live user of an org.
-- Parameters: org {org:String}, id {id:String}.
-- Columns: email String, name String, role String, password_hash String,
--   created_at DateTime64(3, 'UTC').
SELECT email, name, role, password_hash, created_at
FROM ops.users FINAL
WHERE org_id = {org:String} AND user_id = {id:String}
