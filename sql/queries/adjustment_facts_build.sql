-- adjustment_facts_build: writes one org's adjustment facts under a build
-- id, next to its entry facts (metrics/facts.go; the table is described in
-- sql/schema/0002_entry_facts.sql).
-- Parameters: org {org:String}, build id {facts:String}.
INSERT INTO ops.adjustment_facts (org_id, build_id, external_id, kind, reason, date, person_id, project_id, client_id,
    role, team, project_kind, write_off, write_off_hours, write_up)
WITH {{rates}}, {{adjustment_resolve}}
SELECT {org:String}, {facts:String}, external_id, kind, reason, date, person_id, project_id, client_id, role, team,
    project_kind, write_off, write_off_hours, write_up
FROM resolved_adjustments
