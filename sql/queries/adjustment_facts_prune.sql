-- adjustment_facts_prune: drops the adjustment facts of an org's builds
-- other than the current one, in the background (see entry_facts_prune).
-- Parameters: org {org:String}, current build id {facts:String}.
ALTER TABLE ops.adjustment_facts DELETE WHERE org_id = {org:String} AND build_id != {facts:String}
