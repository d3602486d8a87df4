-- source_dates_gone: source_spans_gone for a table of dated records
-- (invoice_lines): the stored live records of this account dated in a
-- window the sync re-listed that the listing did not give (a Harvest invoice
-- deleted, or a line removed from it). The columns are those of
-- source_spans_gone, the date as both start and end.
-- Parameters: those of source_spans_gone; table is invoice_lines.
-- Columns: external_id String, s Date (date), e Date (date).
SELECT external_id, argMax(date, version) AS s, s AS e
FROM ops.{table:Identifier}
WHERE org_id = {org:String} AND source = {source:String} AND external_id > {after:String}
  AND startsWith(external_id, {mine:String})
GROUP BY external_id
HAVING argMax(deleted, version) = 0
   AND arrayExists((f, t) -> s >= f AND s <= t, {froms:Array(Date)}, {tos:Array(Date)})
   AND external_id NOT IN (SELECT external_id FROM ops.sync_seen
                           WHERE org_id = {org:String} AND sync_id = {sync:String} AND entity = {entity:String})
ORDER BY external_id
LIMIT {limit:UInt32}
