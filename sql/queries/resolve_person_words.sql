-- resolve_person_words: what each source says of the org's people, for
-- merging a person's fields across sources (ingest.Resolver, MergePerson).
-- A person with rows in ops.person_sources (sql/schema/0014) is described
-- by those; any other person's ops.people rows stand in for the word of
-- the one source that wrote them (word '0').
-- Parameters: org {org:String}.
-- Columns, all String: person_id, source, external_id (the source's id),
--   valid_from (YYYY-MM-DD), name, email, role, team, weekly_capacity_hours,
--   workdays, cost_rate, bill_rate, utilization_target, start_date, end_date
--   ('' when NULL), holiday_calendar, capacity_assumed ('1' or '0'), word
--   ('1' from ops.person_sources, '0' an ops.people row standing in).
SELECT person_id, toString(source) AS source, external_id, toString(valid_from) AS valid_from, name, email,
    toString(role) AS role, toString(team) AS team, toString(weekly_capacity_hours) AS weekly_capacity_hours,
    toString(workdays) AS workdays, ifNull(toString(cost_rate), '') AS cost_rate, ifNull(toString(bill_rate), '') AS bill_rate,
    ifNull(toString(utilization_target), '') AS utilization_target, ifNull(toString(start_date), '') AS start_date,
    ifNull(toString(end_date), '') AS end_date, holiday_calendar, toString(capacity_assumed) AS capacity_assumed, word
FROM
(
    SELECT person_id, source, external_id, valid_from, name, email, role, team, weekly_capacity_hours, workdays, cost_rate,
        bill_rate, utilization_target, start_date, end_date, holiday_calendar, capacity_assumed, '1' AS word
    FROM ops.person_sources FINAL
    WHERE org_id = {org:String}
    UNION ALL
    SELECT external_id AS person_id, source, external_id, valid_from, name, email, role, team, weekly_capacity_hours, workdays,
        cost_rate, bill_rate, utilization_target, start_date, end_date, holiday_calendar, capacity_assumed, '0' AS word
    FROM ops.people FINAL
    WHERE org_id = {org:String}
      AND external_id NOT IN (SELECT person_id FROM ops.person_sources FINAL WHERE org_id = {org:String})
)
