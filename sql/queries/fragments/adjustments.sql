-- adjustments: explicit write-off and write-up adjustments (way b of spec
-- kpis.md §4), dated by the work, inside [from, to) and the filters, for
-- write_off_value and revenue, read from the org's adjustment facts
-- (ops.adjustment_facts: how each is dated, rated and valued is resolved
-- once per build, see fragments/adjustment_resolve.sql).
-- Needs: org, facts, from, to, group_by, interval, person, role, team, client, project.
-- Columns of adjustment_values: reason, project_kind, tm, write_off (money),
--   write_off_hours, write_up (money, of write_up adjustments), person_id,
--   client_id, project_id, period, grp.
adjustment_values AS
(
    SELECT reason, project_kind, project_kind NOT IN ('retainer', 'fixed_fee', 'internal') AS tm, write_off,
        write_off_hours, write_up, person_id, client_id, project_id,
        multiIf({interval:String} = 'day', date, {interval:String} = 'week', toMonday(date),
            {interval:String} = 'month', toStartOfMonth(date), {from:Date}) AS period,
        multiIf({group_by:String} = 'person', person_id, {group_by:String} = 'role', toString(role),
            {group_by:String} = 'team', toString(team), {group_by:String} = 'client', client_id,
            {group_by:String} = 'project', project_id, '') AS grp
    FROM ops.adjustment_facts FINAL
    WHERE org_id = {org:String} AND build_id = {facts:String} AND date >= {from:Date} AND date < {to:Date}
      AND ({person:String} = '' OR person_id = {person:String})
      AND ({project:String} = '' OR project_id = {project:String})
      AND ({client:String} = '' OR client_id = {client:String})
      AND ({role:String} = '' OR role = {role:String})
      AND ({team:String} = '' OR team = {team:String})
)
