-- source_spans_gone: the stored live records of one source account in a
-- table of date spans (allocations, time_off) that one sync makes tombstones
-- of, a page at a time (keyset paging by external_id, after {after}): those
-- of this account (external_id starting with {mine}) that overlap a window
-- the sync re-listed and that the listing did not give (ops.sync_seen):
-- removed in the tool (Float, Runn and Forecast list only what is live). The
-- latest version of each key decides (an edit may have moved the span out of
-- the window); FINAL would merge the whole table, and the (org_id, source,
-- external_id) sort key keeps this read to the account's own rows.
-- Parameters: table {table:Identifier} (allocations or time_off, chosen by
-- the code, never by a user), entity {entity:String} (its entity name in
-- ops.sync_seen), org {org:String}, source {source:String}, mine
-- {mine:String}, sync {sync:String}, froms {froms:Array(Date)} and tos
-- {tos:Array(Date)} (the windows, pairwise), after {after:String}, limit {limit:UInt32}.
-- Columns: external_id String, s Date (start_date), e Date (end_date).
SELECT external_id, argMax(start_date, version) AS s, argMax(end_date, version) AS e
FROM ops.{table:Identifier}
WHERE org_id = {org:String} AND source = {source:String} AND external_id > {after:String}
  AND startsWith(external_id, {mine:String})
GROUP BY external_id
HAVING argMax(deleted, version) = 0
   AND arrayExists((f, t) -> s <= t AND e >= f, {froms:Array(Date)}, {tos:Array(Date)})
   AND external_id NOT IN (SELECT external_id FROM ops.sync_seen
                           WHERE org_id = {org:String} AND sync_id = {sync:String} AND entity = {entity:String})
ORDER BY external_id
LIMIT {limit:UInt32}
