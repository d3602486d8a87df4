-- entry_facts_built: whether a build of an org's entry facts finished and
-- is whole: its row in ops.entry_fact_builds, and as many fact rows as that
-- row recorded.
-- Parameters: org {org:String}, build id {facts:String}.
-- Columns: recorded UInt64 (build rows, 0 when none), want UInt64 (the fact rows
--   it recorded), present UInt64 (the fact rows there are: entry and adjustment
--   facts and the daily rollup).
SELECT
    (SELECT count() FROM ops.entry_fact_builds FINAL WHERE org_id = {org:String} AND build_id = {facts:String}) AS recorded,
    (SELECT ifNull(max(rows), 0) FROM ops.entry_fact_builds FINAL WHERE org_id = {org:String} AND build_id = {facts:String}) AS want,
    (SELECT count() FROM ops.entry_facts FINAL WHERE org_id = {org:String} AND build_id = {facts:String})
        + (SELECT count() FROM ops.adjustment_facts FINAL WHERE org_id = {org:String} AND build_id = {facts:String})
        + (SELECT count() FROM ops.entry_days FINAL WHERE org_id = {org:String} AND build_id = {facts:String}) AS present
