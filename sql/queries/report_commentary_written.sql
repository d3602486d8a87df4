-- report_commentary_written: the clients of an org whose report of a month
-- has commentary in force (the latest saved version of the field is not
-- empty), for the list of a month's reports: one query, not one per client.
-- Parameters: org String, period Date (the month's first day).
-- Columns: client_id String.
SELECT client_id
FROM ops.report_notes
WHERE org_id = {org:String} AND client_id != '' AND period = {period:Date} AND field = 'commentary'
GROUP BY client_id
HAVING argMax(body, at) != ''
ORDER BY client_id
