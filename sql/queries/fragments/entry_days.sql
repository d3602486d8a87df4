-- entry_days: the org's daily rollup of its entry facts (ops.entry_days:
-- per day, person, project, client and entry state, the sums the hours and
-- money KPIs read, built with the facts; sql/schema/0021_entry_days.sql)
-- dated in [from, to) that pass the filters, with the request's period and
-- group. A KPI sums its columns where it summed the entries' values: every
-- filter and group is a column of the row, so the sums are the same.
-- Needs: org, facts (the build metrics/facts.go made current), from, to,
--   group_by, interval, person, role, team, client, project.
-- Columns of entry_days: date, person_id, project_id, client_id, role, team,
--   kind, billable, billing_status, reason, entry_count and rated_count
--   (entries and rated_entries of the table, renamed so that a KPI can name
--   its sum entries), hours,
--   standard_value, billed_value, cost, uncosted_hours, write_off,
--   write_off_hours, reason_write_off_hours, write_up, retainer_overage,
--   retainer_excess_hours, retainer_excess_value, valued_excess_hours (as
--   the table), tm (1 for work billed by the hour: a project that is not
--   retainer, fixed_fee or internal, or none), written_off (billable and
--   written off), period, grp.
entry_days AS
(
    SELECT date, person_id, project_id, client_id, role, team, kind, billable, billing_status, reason,
        entries AS entry_count, rated_entries AS rated_count, hours, standard_value, billed_value, cost, uncosted_hours, write_off, write_off_hours,
        reason_write_off_hours, write_up, retainer_overage, retainer_excess_hours, retainer_excess_value,
        valued_excess_hours,
        kind NOT IN ('retainer', 'fixed_fee', 'internal') AS tm,
        billable = 1 AND billing_status = 'written_off' AS written_off,
        {{fact_period_group}}
    FROM ops.entry_days FINAL
    WHERE org_id = {org:String} AND build_id = {facts:String} AND date >= {from:Date} AND date < {to:Date}
      AND {{fact_filters}}
)
