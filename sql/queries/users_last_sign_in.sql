-- users_last_sign_in: when each of an org's users last started a session
-- (sessions are kept 30 days past their end, so older sign-ins are gone).
-- Parameters: org {org:String}.
-- Columns: user_id String, last DateTime64(3, 'UTC').
SELECT user_id, max(created_at) AS last
FROM ops.sessions
WHERE org_id = {org:String} AND user_id != ''
GROUP BY user_id
