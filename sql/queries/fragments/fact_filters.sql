-- fact_filters: a fact row inside the request's filters (each '' for all).
-- Needs: person, project, client, role, team; the row's person_id, project_id,
-- client_id, role and team.
({person:String} = '' OR person_id = {person:String})
      AND ({project:String} = '' OR project_id = {project:String})
      AND ({client:String} = '' OR client_id = {client:String})
      AND ({role:String} = '' OR role = {role:String})
      AND ({team:String} = '' OR team = {team:String})
