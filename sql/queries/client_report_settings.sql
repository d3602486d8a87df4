-- client_report_settings: which KPIs each client's report carries and who
-- receives it, as stored (clients without a row get their kind's default),
-- with whether the client has a retainer project (which default it gets).
-- Parameters: org String, client String ('' = every client of the org).
-- internal: the client has projects and every one is internal work (the agency's own
--   client in most tools), which gets no monthly report.
-- has_budget: the client has a project other than a retainer with an hour or money budget.
-- Columns: client_id String, has_retainer UInt8, has_budget UInt8, internal UInt8, stored UInt8, contract String,
--   recipients Array(String), updated_by String, updated_at Nullable(DateTime64(3)).
SELECT c.client_id AS client_id, toUInt8(c.client_id IN (
        SELECT client_id FROM ops.projects FINAL WHERE org_id = {org:String} AND kind = 'retainer')) AS has_retainer,
    toUInt8(c.client_id IN (
        SELECT client_id FROM ops.projects FINAL WHERE org_id = {org:String} AND kind NOT IN ('retainer', 'internal')
            AND (budget_hours IS NOT NULL OR budget_amount IS NOT NULL))) AS has_budget,
    toUInt8(c.client_id IN (
        SELECT client_id FROM ops.projects FINAL WHERE org_id = {org:String}
        GROUP BY client_id HAVING countIf(kind != 'internal') = 0)) AS internal,
    toUInt8(r.client_id != '') AS stored, r.contract AS contract, r.recipients AS recipients, r.updated_by AS updated_by,
    if(r.client_id = '', NULL, r.updated_at) AS updated_at
FROM
(
    SELECT DISTINCT external_id AS client_id FROM ops.clients FINAL
    WHERE org_id = {org:String} AND ({client:String} = '' OR external_id = {client:String})
) AS c
LEFT JOIN
(
    SELECT client_id, contract, recipients, updated_by, updated_at FROM ops.client_reports FINAL
    WHERE org_id = {org:String} AND ({client:String} = '' OR client_id = {client:String})
) AS r ON r.client_id = c.client_id
ORDER BY client_id
SETTINGS join_use_nulls = 0
