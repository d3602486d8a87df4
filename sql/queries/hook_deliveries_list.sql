-- hook_deliveries_list: the kept deliveries of one hook received at or
-- after since, newest first, at most lim.
-- Parameters: org {org:String}, hook {hook:String}, since {since:DateTime64(6, 'UTC')},
--   lim {lim:UInt32}.
-- Columns: received DateTime64(6, 'UTC'), delivery_id String, event String,
--   status String, reason String, records UInt32, header String, body String,
--   events Array(String) (the task events it wrote), wrote Array(String) (each
--   record it wrote, in words).
SELECT received, delivery_id, event, toString(status), reason, records, header, body, events, wrote
FROM ops.hook_deliveries FINAL
WHERE org_id = {org:String} AND hook_id = {hook:String} AND received >= {since:DateTime64(6, 'UTC')}
ORDER BY received DESC, delivery_id
LIMIT {lim:UInt32}
