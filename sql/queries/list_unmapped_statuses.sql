-- list_unmapped_statuses: the statuses task events moved to in [from, to)
-- (occurred_at as a date in the org's time zone) that map to no phase: a
-- to_status with phase ''. A webhook keeps such a status raw (issue 16);
-- an import keeps it when the file gives no phase. Statuses are grouped as
-- hook.NormalizeStatus compares them (lower case, white space collapsed),
-- shown as most recently spelt. Most events first.
-- Parameters: org String, tz String, from Date, to Date, client String,
--   project String ('' for all).
-- Columns: source String, status String, events UInt64,
--   last_seen DateTime64(3, 'UTC').
SELECT toString(source) AS source, argMax(to_status, occurred_at) AS status, count() AS events, max(occurred_at) AS last_seen
FROM ops.task_events FINAL
WHERE org_id = {org:String} AND to_status != '' AND phase = ''
  AND toDate(occurred_at, {tz:String}) >= {from:Date} AND toDate(occurred_at, {tz:String}) < {to:Date}
  AND ({client:String} = '' OR client_id = {client:String})
  AND ({project:String} = '' OR project_id = {project:String})
GROUP BY source, lowerUTF8(trimBoth(replaceRegexpAll(to_status, '\\s+', ' ')))
ORDER BY events DESC, source, status
