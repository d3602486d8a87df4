-- report_drafts: an org's prepared report drafts of one month, by client.
-- Parameters: org String, month Date (its first day).
-- Columns: client_id, status String, prepared_at DateTime64(3),
--   sent_at Nullable(DateTime64(3)), sent_by String, sent_to Array(String).
SELECT client_id, toString(status) AS status, prepared_at, sent_at, sent_by, sent_to
FROM ops.report_drafts FINAL
WHERE org_id = {org:String} AND month = {month:Date}
ORDER BY client_id
