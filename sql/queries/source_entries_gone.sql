-- source_entries_gone: the stored live time entries one sync of a source
-- (a tool account) makes tombstones of, a page at a time (keyset paging by
-- external_id, after {after}):
--   - an entry of this account (external_id starting with {mine}, its
--     "api:<account>:" prefix) dated in a window the sync re-listed in full,
--     which the listing did not give (ops.sync_seen): deleted in the tool;
--   - a row of a CSV export of the same tool (an external_id without "api:")
--     dated in such a window or on a date the sync gave an entry on: the API's
--     entries replace the CSV's on the dates the API covers.
-- Other accounts' entries are never touched. The latest version of each key
-- decides (an edit may have moved an entry's date), over the keys with a row
-- on such a date; FINAL would merge the whole table. The anti-join runs in the engine, so the caller holds one page.
-- Parameters: org {org:String}, source {source:String}, mine {mine:String},
-- sync {sync:String} (the sync's id in ops.sync_seen), froms {froms:Array(Date)}
-- and tos {tos:Array(Date)} (the re-listed windows, both ends inclusive, pairwise),
-- after {after:String} ('' for the first page), limit {limit:UInt32}.
-- Columns: external_id String, d Date.
SELECT external_id, argMax(date, version) AS d
FROM ops.time_entries
WHERE org_id = {org:String} AND source = {source:String} AND external_id > {after:String}
  AND (startsWith(external_id, {mine:String}) OR NOT startsWith(external_id, 'api:'))
  AND external_id IN ( -- only keys with a row on such a date: an incremental sync need not group every row of the source
      SELECT external_id FROM ops.time_entries
      WHERE org_id = {org:String} AND source = {source:String}
        AND (arrayExists((f, t) -> date >= f AND date <= t, {froms:Array(Date)}, {tos:Array(Date)})
             OR date IN (SELECT date FROM ops.sync_seen
                         WHERE org_id = {org:String} AND sync_id = {sync:String} AND entity = 'time_entry')))
GROUP BY external_id
HAVING argMax(deleted, version) = 0
   AND if(startsWith(external_id, 'api:'),
          arrayExists((f, t) -> d >= f AND d <= t, {froms:Array(Date)}, {tos:Array(Date)})
            AND external_id NOT IN (SELECT external_id FROM ops.sync_seen
                                    WHERE org_id = {org:String} AND sync_id = {sync:String} AND entity = 'time_entry'),
          arrayExists((f, t) -> d >= f AND d <= t, {froms:Array(Date)}, {tos:Array(Date)})
            OR d IN (SELECT date FROM ops.sync_seen
                     WHERE org_id = {org:String} AND sync_id = {sync:String} AND entity = 'time_entry'))
ORDER BY external_id
LIMIT {limit:UInt32}
