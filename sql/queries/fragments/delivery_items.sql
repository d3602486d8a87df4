-- delivery_items: the org's deduplicated deliverables (spec kpis.md §3) that
-- pass the filters, one row per (source, external_id); tombstoned ones are gone.
--   client_id: the deliverable's, else its project's; owner_id is the "person".
--   delivered_day: delivered_at as a date in the org's time zone, so a delivery
--     at 03:00 UTC that is still the evening before in New York counts that evening.
-- Needs: org, tz, client, project, person.
-- Columns of delivery_items: deliverable_id, client_id, project_id, owner_id,
--   due_date, committed_due_date (Nullable(Date)), delivered_at, delivered_day.
-- the org's projects and their clients, as one scalar (cheaper than a join)
(
    SELECT (groupArray(external_id), groupArray(client_id))
    FROM ops.projects FINAL
    WHERE org_id = {org:String}
) AS delivery_projects,
delivery_items AS
(
    SELECT deliverable_id, resolved_client AS client_id, project_id, owner_id, due_date, committed_due_date,
        delivered_at, delivered_day
    FROM
    (
        SELECT external_id AS deliverable_id,
            if(client_id != '', client_id, transform(project_id, delivery_projects.1, delivery_projects.2, '')) AS resolved_client,
            project_id, owner_id, due_date, committed_due_date, delivered_at,
            toDate(delivered_at, {tz:String}) AS delivered_day
        FROM ops.deliverables FINAL
        WHERE org_id = {org:String}
          AND ({project:String} = '' OR project_id = {project:String})
          AND ({person:String} = '' OR owner_id = {person:String})
    )
    WHERE {client:String} = '' OR resolved_client = {client:String}
)
