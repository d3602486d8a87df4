-- org_sources: the live connected sources of one org with their latest sync
-- state, for the overview page (no token, sealed or not). A source never
-- synced has null times. last_error is as the collectors stored it: in
-- words, the token redacted.
-- Parameters: org {org:String}.
-- Columns: source_id String, kind String, account_id String, workspace String,
--   created_at DateTime64(3, 'UTC'), last_attempt Nullable(DateTime64(3, 'UTC')),
--   last_success Nullable(DateTime64(3, 'UTC')), failing_since Nullable(DateTime64(3, 'UTC')),
--   last_error String, needs_token UInt8.
SELECT s.source_id, toString(s.kind) AS kind, s.account_id, s.workspace, s.created_at,
       st.last_attempt, st.last_success, st.failing_since,
       ifNull(st.last_error, '') AS last_error, ifNull(st.needs_token, 0) AS needs_token
FROM (SELECT source_id, kind, account_id, workspace, created_at FROM ops.sources FINAL WHERE org_id = {org:String}) AS s
LEFT JOIN
(
    SELECT source_id,
           toNullable(argMax(last_attempt, version)) AS last_attempt,
           argMax(tuple(last_success), version).1 AS last_success,
           argMax(tuple(failing_since), version).1 AS failing_since,
           argMax(last_error, version) AS last_error,
           argMax(needs_token, version) AS needs_token
    FROM ops.source_state
    WHERE org_id = {org:String}
    GROUP BY source_id
) AS st ON st.source_id = s.source_id
ORDER BY s.created_at, s.source_id
SETTINGS join_use_nulls = 1
