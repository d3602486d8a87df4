-- entry_facts_prune: drops the fact rows of an org's builds other than the
-- current one, in the background (no query reads them any more).
-- Parameters: org {org:String}, current build id {facts:String}.
ALTER TABLE ops.entry_facts DELETE WHERE org_id = {org:String} AND build_id != {facts:String}
