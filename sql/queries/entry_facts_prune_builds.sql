-- entry_facts_prune_builds: forgets an org's builds of entry facts other
-- than the current one, waiting until done, before their rows are dropped
-- (entry_facts_prune): a build row must never outlive its facts.
-- Parameters: org {org:String}, current build id {facts:String}.
ALTER TABLE ops.entry_fact_builds DELETE WHERE org_id = {org:String} AND build_id != {facts:String}
SETTINGS mutations_sync = 1
