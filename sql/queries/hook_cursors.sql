-- hook_cursors: the reconciler's latest state of each hook of one org, or of
-- every org when org is empty (the scheduler). Unset times are the epoch.
-- Parameters: org {org:String} ('' for all).
-- Columns: org_id String, hook_id String, cursor DateTime64(3, 'UTC'),
--   last_attempt DateTime64(3, 'UTC'), last_success DateTime64(3, 'UTC'),
--   failing_since DateTime64(3, 'UTC'), last_error String, needs_token UInt8,
--   added UInt64.
SELECT org_id, hook_id, argMax(cursor, version), argMax(last_attempt, version), argMax(last_success, version),
       argMax(failing_since, version), argMax(last_error, version), argMax(needs_token, version), argMax(added, version)
FROM ops.hook_cursors
WHERE {org:String} = '' OR org_id = {org:String}
GROUP BY org_id, hook_id
