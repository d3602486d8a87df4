-- source_lease: who holds a source's sync lease, and until when.
-- Parameters: org {org:String}, source {source:String}.
-- Columns: owner String, lease_until DateTime64(3, 'UTC').
SELECT argMax(owner, version), argMax(lease_until, version)
FROM ops.source_leases
WHERE org_id = {org:String} AND source_id = {source:String}
