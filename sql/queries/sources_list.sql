-- sources_list: the live sources of one org, or of every org when org is
-- empty (the scheduler), with their sealed tokens and latest state.
-- Parameters: org {org:String} ('' for all).
-- The nullable columns are read as argMax(tuple(x), version).1: argMax skips
-- NULLs, so a cleared failing_since would show the older failure again.
-- Columns: org_id String, source_id String, kind String, account_id String,
--   workspace String, base_url String, since Nullable(Date), every_seconds UInt32,
--   token_sealed String, created_at DateTime64(3, 'UTC'), cursor String,
--   last_attempt Nullable(DateTime64(3, 'UTC')), last_success Nullable(DateTime64(3, 'UTC')),
--   failing_since Nullable(DateTime64(3, 'UTC')), last_error String, needs_token UInt8,
--   rows_added UInt64, rows_updated UInt64, rows_deleted UInt64.
SELECT s.org_id, s.source_id, toString(s.kind), s.account_id, s.workspace, s.base_url, s.since, s.every_seconds,
       s.token_sealed, s.created_at,
       ifNull(st.cursor, ''), st.last_attempt, st.last_success, st.failing_since, ifNull(st.last_error, ''),
       ifNull(st.needs_token, 0), ifNull(st.rows_added, 0), ifNull(st.rows_updated, 0), ifNull(st.rows_deleted, 0)
FROM (SELECT * FROM ops.sources FINAL WHERE {org:String} = '' OR org_id = {org:String}) AS s
LEFT JOIN
(
    SELECT org_id, source_id,
           argMax(cursor, version) AS cursor,
           toNullable(argMax(last_attempt, version)) AS last_attempt,
           argMax(tuple(last_success), version).1 AS last_success,
           argMax(tuple(failing_since), version).1 AS failing_since,
           argMax(last_error, version) AS last_error,
           argMax(needs_token, version) AS needs_token,
           argMax(rows_added, version) AS rows_added,
           argMax(rows_updated, version) AS rows_updated,
           argMax(rows_deleted, version) AS rows_deleted
    FROM ops.source_state
    WHERE {org:String} = '' OR org_id = {org:String}
    GROUP BY org_id, source_id
) AS st ON st.org_id = s.org_id AND st.source_id = s.source_id
ORDER BY s.org_id, s.created_at, s.source_id
SETTINGS join_use_nulls = 1
