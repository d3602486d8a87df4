-- report_notes: every saved version of the texts of one report (a client's
-- month) or of the org's retro (client '' and the quarter's first day), oldest
-- first; the last row of a field is the text in force.
-- Parameters: org String, client String, period Date.
-- Columns: field String, body String, author String, at DateTime64(3, 'UTC').
SELECT toString(field) AS field, body, author, at
FROM ops.report_notes
WHERE org_id = {org:String} AND client_id = {client:String} AND period = {period:Date}
ORDER BY field, at
