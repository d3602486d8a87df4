-- users_by_email: the users with this (lower-case) email, in every org, by org.
-- Parameters: email {email:String}.
-- Columns: org_id String, user_id String, email String, name String, role String,
--   password_hash String (PHC string, '' before the invitation is accepted).
SELECT org_id, user_id, email, name, role, password_hash
FROM ops.users FINAL
WHERE email = {email:String}
ORDER BY org_id
