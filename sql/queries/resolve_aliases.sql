-- resolve_aliases: the person aliases of one org (sql/schema/0008): which
-- org person each source's person id is.
-- Parameters: org {org:String}.
-- Columns: source String, external_id String, person_id String.
SELECT toString(source) AS source, external_id, person_id
FROM ops.person_aliases FINAL
WHERE org_id = {org:String}
ORDER BY source, external_id
