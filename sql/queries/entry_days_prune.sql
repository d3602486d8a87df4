-- entry_days_prune: drops the daily rollup rows of an org's builds other
-- than the current one, in the background (see entry_facts_prune).
-- Parameters: org {org:String}, current build id {facts:String}.
ALTER TABLE ops.entry_days DELETE WHERE org_id = {org:String} AND build_id != {facts:String}
