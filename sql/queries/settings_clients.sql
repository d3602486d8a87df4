-- settings_clients: an org's clients as stored, for the settings' Clients
-- and projects section.
-- Parameters: org String.
-- Columns: client_id String, source String, name String, currency String.
SELECT external_id AS client_id, toString(source) AS source, name, toString(currency) AS currency
FROM ops.clients FINAL
WHERE org_id = {org:String}
ORDER BY lower(name), client_id
