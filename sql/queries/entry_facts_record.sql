-- entry_facts_record: marks a build of an org's entry facts finished, with
-- its row count in both fact tables and the daily rollup (entry_facts_built
-- checks it).
-- Parameters: org {org:String}, build id {facts:String}.
INSERT INTO ops.entry_fact_builds (org_id, build_id, rows, built_at)
SELECT {org:String}, {facts:String},
    (SELECT count() FROM ops.entry_facts FINAL WHERE org_id = {org:String} AND build_id = {facts:String})
        + (SELECT count() FROM ops.adjustment_facts FINAL WHERE org_id = {org:String} AND build_id = {facts:String})
        + (SELECT count() FROM ops.entry_days FINAL WHERE org_id = {org:String} AND build_id = {facts:String}),
    now64(3)
