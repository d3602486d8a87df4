-- filter_id_used: whether an org's data uses an id that no client, project or
-- person record names (time entries posted with ids only create no client or
-- person), or a role only a booking names, so that a filter on it is not
-- refused as unknown. Run only when the names did not match: it reads the
-- org's rows of three tables (no FINAL: any version that used the id will do).
-- Parameters: org {org:String}, kind {kind:String} (client, project, person,
-- role), id {id:String}.
-- Columns: used UInt8.
SELECT
    (SELECT count() FROM (
        SELECT 1 FROM ops.time_entries
        WHERE org_id = {org:String}
          AND multiIf({kind:String} = 'client', client_id, {kind:String} = 'project', project_id,
                      {kind:String} = 'person', person_id, '') = {id:String}
        LIMIT 1))
  + (SELECT count() FROM (
        SELECT 1 FROM ops.deliverables
        WHERE org_id = {org:String}
          AND multiIf({kind:String} = 'client', client_id, {kind:String} = 'project', project_id,
                      {kind:String} = 'person', owner_id, '') = {id:String}
        LIMIT 1))
  + (SELECT count() FROM (
        SELECT 1 FROM ops.allocations
        WHERE org_id = {org:String}
          AND multiIf({kind:String} = 'project', project_id, {kind:String} = 'person', person_id,
                      {kind:String} = 'role', toString(role), '') = {id:String}
        LIMIT 1)) > 0 AS used
