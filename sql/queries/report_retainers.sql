-- report_retainers: a client's retainer projects (kind retainer with monthly
-- retainer hours), the projects a monthly report's retainer_hours section
-- is about; the budget KPIs give their numbers.
-- Parameters: org String, client String.
-- Columns: project_id String.
SELECT DISTINCT external_id AS project_id
FROM ops.projects FINAL
WHERE org_id = {org:String} AND client_id = {client:String} AND kind = 'retainer'
  AND retainer_hours_monthly IS NOT NULL
ORDER BY project_id
