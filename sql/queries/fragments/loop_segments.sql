-- loop_segments: each deliverable's way through the operating loop (spec
-- kpis.md §9), as segments of time in one canonical phase: intake, brief,
-- production, internal_review, client_review, delivered, reported.
--   What moves a deliverable, in occurred_at order (ties by external_id):
--   - created, status_changed and reopened events: into the event's phase; an
--     unmapped status (phase '' or not canonical) puts it between phases;
--   - client_review_requested: into client_review; delivered: into delivered;
--   - client_approved and client_changes_requested while in client_review: out
--     of it, between phases (the client has answered; the agency has not yet
--     moved the deliverable on).
--   Other events (assigned, due_date_changed, ...) move nothing.
--   A segment is entered at the first event that puts the deliverable in its
--   phase and left at the next event that puts it anywhere else. Time between
--   phases (an unmapped status, or after a client decision) belongs to no
--   phase: it is the handoff wait from the phase before to the phase after.
--   Events of a tombstoned deliverable are dropped with it.
--   client_id, project_id: the newest non-empty ones the deliverable's events
--     carry, else the deliverable's (its client, else its project's client).
-- Needs: org, client, project, group_by.
-- Columns of loop_segments (the segments in a phase; time between phases is
--   not a row): deliverable_id, client_id, project_id, grp, phase, entered_at,
--   left_at (Nullable: still in it), prev_phase and next_phase (the phase
--   segments before and after, '' when none), next_entered_at (Nullable).
loop_projects AS
(
    SELECT external_id AS project_id, any(client_id) AS client_id
    FROM ops.projects FINAL
    WHERE org_id = {org:String}
    GROUP BY external_id
),
loop_events AS
(
    SELECT deliverable_id, external_id, occurred_at, client_id, project_id,
        type IN ('client_approved', 'client_changes_requested') AS is_decision,
        -- where a non-decision event puts the deliverable; '' is between phases
        multiIf(type = 'client_review_requested', 'client_review', type = 'delivered', 'delivered',
            phase IN ('intake', 'brief', 'production', 'internal_review', 'client_review', 'delivered', 'reported'),
            toString(phase), '') AS status_phase
    FROM ops.task_events FINAL
    WHERE org_id = {org:String} AND deliverable_id != ''
      AND type IN ('created', 'status_changed', 'reopened', 'client_review_requested', 'delivered',
          'client_approved', 'client_changes_requested')
      AND deliverable_id NOT IN
      (
          -- deliverables whose newest version is a tombstone (FINAL would just drop them)
          SELECT external_id FROM ops.deliverables
          WHERE org_id = {org:String}
          GROUP BY source, external_id
          HAVING argMax(deleted, version) = 1
      )
),
loop_dims AS
(
    SELECT e.deliverable_id AS deliverable_id,
        if(e.project_id != '', e.project_id, d.project_id) AS resolved_project,
        multiIf(e.client_id != '', e.client_id, d.client_id != '', d.client_id, p.client_id) AS resolved_client
    FROM
    (
        SELECT deliverable_id, argMaxIf(client_id, occurred_at, client_id != '') AS client_id,
            argMaxIf(project_id, occurred_at, project_id != '') AS project_id
        FROM loop_events
        GROUP BY deliverable_id
    ) AS e
    LEFT JOIN
    (
        SELECT external_id, any(client_id) AS client_id, any(project_id) AS project_id
        FROM ops.deliverables FINAL
        WHERE org_id = {org:String}
        GROUP BY external_id
    ) AS d ON e.deliverable_id = d.external_id
    LEFT JOIN loop_projects AS p ON if(e.project_id != '', e.project_id, d.project_id) = p.project_id
    WHERE ({client:String} = '' OR resolved_client = {client:String})
      AND ({project:String} = '' OR resolved_project = {project:String})
),
loop_marks AS
(
    -- where each event leaves the deliverable; NULL: it moves nothing (a
    -- decision while not in client_review)
    SELECT deliverable_id, external_id, occurred_at,
        if(is_decision, if(current_status = 'client_review', '', NULL), status_phase) AS mark
    FROM
    (
        SELECT deliverable_id, external_id, occurred_at, is_decision, status_phase,
            anyLast(if(is_decision, NULL, status_phase)) OVER (PARTITION BY deliverable_id ORDER BY occurred_at, external_id
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS current_status
        FROM loop_events
    )
    WHERE mark IS NOT NULL
),
loop_changes AS
(
    -- the events that change where the deliverable is, and when the next change came
    SELECT deliverable_id, external_id, occurred_at AS entered_at, assumeNotNull(mark) AS phase,
        leadInFrame(toNullable(occurred_at)) OVER (PARTITION BY deliverable_id ORDER BY occurred_at, external_id
            ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS left_at
    FROM
    (
        SELECT deliverable_id, external_id, occurred_at, mark,
            lagInFrame(mark, 1, '#') OVER (PARTITION BY deliverable_id ORDER BY occurred_at, external_id
                ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS before
        FROM loop_marks
    )
    WHERE mark != before
),
loop_phase_segments AS
(
    -- the segments without the deliverable's client and project, for a
    -- query that neither filters nor groups by them (maturity_level)
    SELECT deliverable_id, phase, entered_at, left_at,
        lagInFrame(phase, 1, '') OVER w AS prev_phase,
        leadInFrame(phase, 1, '') OVER w AS next_phase,
        leadInFrame(toNullable(entered_at)) OVER w AS next_entered_at
    FROM loop_changes
    WHERE phase != ''
    WINDOW w AS (PARTITION BY deliverable_id ORDER BY entered_at, external_id
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
loop_segments AS
(
    SELECT s.deliverable_id AS deliverable_id, dm.resolved_client AS client_id, dm.resolved_project AS project_id,
        multiIf({group_by:String} = 'client', dm.resolved_client, {group_by:String} = 'project', dm.resolved_project, '') AS grp,
        s.phase AS phase, s.entered_at AS entered_at, s.left_at AS left_at,
        s.prev_phase AS prev_phase, s.next_phase AS next_phase, s.next_entered_at AS next_entered_at
    FROM loop_phase_segments AS s
    INNER JOIN loop_dims AS dm ON s.deliverable_id = dm.deliverable_id
)
