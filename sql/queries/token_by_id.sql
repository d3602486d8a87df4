-- token_by_id: the live API token with this public id, in any org.
-- Parameters: id {id:String}.
-- Columns: org_id String, token_hash String, name String, scopes Array(String),
--   created_at DateTime64(3, 'UTC'), expires_at Nullable(DateTime64(3, 'UTC')).
SELECT org_id, token_hash, name, scopes, created_at, expires_at
FROM ops.api_tokens FINAL
WHERE token_id = {id:String}
