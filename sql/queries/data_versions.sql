-- data_versions: the data version of the orgs asked for (metrics.Versions on
-- a shared store): per org, the writes that landed for it, and those whose
-- orgs were not known (org ''), summed.
-- Parameters: orgs {orgs:Array(String)}.
-- Columns: org_id String, bumps UInt64.
SELECT org_id, sum(bumps) AS bumps
FROM ops.data_versions
WHERE org_id IN {orgs:Array(String)} OR org_id = ''
GROUP BY org_id
