-- tokens_list: an org's live API tokens, newest first. Never returns hashes.
-- Parameters: org {org:String}.
-- Columns: token_id String, name String, scopes Array(String),
--   created_at DateTime64(3, 'UTC'), expires_at Nullable(DateTime64(3, 'UTC')).
SELECT token_id, name, scopes, created_at, expires_at
FROM ops.api_tokens FINAL
WHERE org_id = {org:String}
ORDER BY created_at DESC
