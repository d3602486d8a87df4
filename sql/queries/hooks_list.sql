-- hooks_list: the live hooks of one org, or of every org when org is empty
-- (the receiver's cache), with their sealed secrets and tokens.
-- Parameters: org {org:String} ('' for all).
-- Columns: org_id String, hook_id String, tool String, secret_sealed String,
--   token_sealed String, base_url String, callback_url String, client String,
--   project String, created_at DateTime64(3, 'UTC').
SELECT org_id, hook_id, toString(tool), secret_sealed, token_sealed, base_url, callback_url, client, project, created_at
FROM ops.hooks FINAL
WHERE {org:String} = '' OR org_id = {org:String}
ORDER BY org_id, created_at, hook_id
