-- source_lease: who holds a source's sync lease, with which token (the hold's
-- fencing token, collect.Lease), and until when; the newest claim wins.
-- Parameters: org {org:String}, source {source:String}.
-- Columns: owner String, token UInt64, lease_until DateTime64(3, 'UTC'),
-- version UInt64 (the newest claim's: a new claim is written above it).
SELECT argMax(owner, version), argMax(token, version), argMax(lease_until, version), max(version)
FROM ops.source_leases
WHERE org_id = {org:String} AND source_id = {source:String}
