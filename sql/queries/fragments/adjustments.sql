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
        {{fact_period_group}}
    FROM ops.adjustment_facts FINAL
    WHERE org_id = {org:String} AND build_id = {facts:String} AND date >= {from:Date} AND date < {to:Date}
      AND {{fact_filters}}
)
