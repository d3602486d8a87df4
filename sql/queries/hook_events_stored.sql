-- hook_events_stored: which of some task event ids one tool of an org has
-- stored, for the reconciler to skip what a webhook (or an earlier poll)
-- already wrote. Any version counts: the id is the event's, whatever its
-- content.
-- Parameters: org {org:String}, source {source:String}, ids {ids:Array(String)}.
-- Columns: external_id String.
SELECT DISTINCT external_id
FROM ops.task_events
WHERE org_id = {org:String} AND source = {source:String} AND external_id IN {ids:Array(String)}
