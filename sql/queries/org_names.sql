-- org_names: an org's names (metrics.LoadNames): what the pages and the CLI show
-- for ids, what filters resolve against, and the choices of the pages' client and
-- team filters.
-- Parameters: org {org:String}.
-- Columns: kind String (client, project, person, team, role), id String, name String,
-- client String (a project's client id, so a project is shown with its client's name;
-- '' for the other kinds and for a project of no client).
SELECT kind, id, name, client
FROM
(
    SELECT 'client' AS kind, external_id AS id, name, '' AS client FROM ops.clients FINAL WHERE org_id = {org:String}
    UNION ALL
    SELECT 'project', external_id, name, client_id FROM ops.projects FINAL WHERE org_id = {org:String}
    UNION ALL
    SELECT 'person', external_id, argMax(name, valid_from), '' FROM ops.people FINAL WHERE org_id = {org:String} GROUP BY external_id
    UNION ALL
    SELECT DISTINCT 'team', toString(team), toString(team), '' FROM ops.people FINAL WHERE org_id = {org:String} AND team != ''
    UNION ALL
    SELECT DISTINCT 'role', toString(role), toString(role), '' FROM ops.people FINAL WHERE org_id = {org:String} AND role != ''
)
ORDER BY kind, name, id
