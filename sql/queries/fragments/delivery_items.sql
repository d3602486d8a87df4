-- delivery_items: the org's deduplicated deliverables (spec kpis.md §3) that
-- pass the filters, one row per (source, external_id); tombstoned ones are gone.
--   client_id: the deliverable's, else its project's; owner_id is the "person".
--   delivered_day: delivered_at as a date in the org's time zone, so a delivery
--     at 03:00 UTC that is still the evening before in New York counts that evening.
-- Needs: org, tz, client, project, person.
-- Columns of delivery_items: deliverable_id, client_id, project_id, owner_id,
--   due_date, committed_due_date (Nullable(Date)), delivered_at, delivered_day.
delivery_projects AS
(
    SELECT external_id AS project_id, any(client_id) AS client_id
    FROM ops.projects FINAL
    WHERE org_id = {org:String}
    GROUP BY external_id
),
delivery_items AS
(
    SELECT dv.external_id AS deliverable_id, if(dv.client_id != '', dv.client_id, p.client_id) AS client_id,
        dv.project_id AS project_id, dv.owner_id AS owner_id, dv.due_date AS due_date,
        dv.committed_due_date AS committed_due_date, dv.delivered_at AS delivered_at,
        toDate(dv.delivered_at, {tz:String}) AS delivered_day
    FROM ops.deliverables AS dv FINAL
    LEFT JOIN delivery_projects AS p ON dv.project_id = p.project_id
    WHERE dv.org_id = {org:String}
      AND ({client:String} = '' OR client_id = {client:String})
      AND ({project:String} = '' OR dv.project_id = {project:String})
      AND ({person:String} = '' OR dv.owner_id = {person:String})
)
