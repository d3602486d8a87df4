-- users_list: an org's users, by name then email. Never returns hashes.
-- Parameters: org {org:String}.
-- Columns: user_id String, email String, name String, role String,
--   has_password UInt8 (1 once the invitation is accepted), created_at DateTime64(3, 'UTC').
SELECT user_id, email, name, role, password_hash != '' AS has_password, created_at
FROM ops.users FINAL
WHERE org_id = {org:String}
ORDER BY name, email
