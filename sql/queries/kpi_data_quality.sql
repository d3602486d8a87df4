-- kpi: data_quality
-- title: Data quality
-- unit: score
-- group_by:
-- filters:
-- version: 1
-- description: A 0–1 score of how far the numbers can be trusted: the mean of five shares, each reported as a column (time logged against available hours, entries with a known client and project, deliverables with a due date, billable entries with a bill rate, people with a cost rate).
-- Parameters: org, from, to, interval, now, tz, group_by, person, role, team, client, project.
--   The parts, each Σ numerator ÷ Σ denominator over its own population:
--   - logged_ratio: Σ min(logged, available) ÷ Σ available hours per person-day
--     (fragments/person_days.sql), over the days of [from, to) before the org's today
--     (today is not over; future days cannot have time yet);
--   - known_client_project_ratio: entries dated in [from, to) whose client and project are
--     both known records (ops.clients, ops.projects) ÷ entries;
--   - due_date_ratio: deliverables that appeared in [from, to) (first task event, else
--     updated_at, else ingest day; fragments/loop_deliverables.sql) with a due date ÷ those
--     deliverables;
--   - bill_rate_ratio: billable entries dated in [from, to) with a bill rate that resolves
--     (entry, project, person or role, fragments/entry_resolve.sql) ÷ billable entries;
--   - cost_rate_ratio: people employed on some day of [from, to) whose cost rate (their
--     own, else their role's) resolves on every such day ÷ those people.
--   value is the mean of the parts that have data (a part with a zero denominator is null
--   and left out); null when none has. parts_known says how many were averaged.
--   Two queries answer it at once: this one (every part but the due dates) and
--   data_quality_deliverables.sql (the deliverables and their due dates, per period);
--   metrics/dataquality.go joins them into the columns below, adds due_date_ratio and
--   takes the mean. Planned on a core each, the two answer sooner than one query of both
--   (docs/benchmarks.md, issue 19).
-- Columns: period Date, grp String (always ''), value Nullable(Float64), logged_ratio,
--   known_client_project_ratio, due_date_ratio, bill_rate_ratio, cost_rate_ratio
--   (Nullable(Float64)), parts_known UInt8, logged_hours, available_hours (Decimal),
--   entries, known_entries, deliverables, deliverables_with_due, billable_entries,
--   rated_billable_entries, people, people_with_cost_rate (UInt64).
WITH {{person_days}}, {{entry_days}},
day_entries AS
(
    -- from the daily rollup: its rows count their entries, and those whose
    -- bill rate resolves (rated_count)
    SELECT person_id, date, any(period) AS period, sum(hours) AS logged, sum(entry_count) AS n_entries,
        sumIf(entry_count, client_id IN (SELECT external_id FROM ops.clients FINAL WHERE org_id = {org:String})
            AND project_id IN (SELECT external_id FROM ops.projects FINAL WHERE org_id = {org:String})) AS n_known,
        sumIf(entry_count, billable = 1) AS n_billable, sumIf(rated_count, billable = 1) AS n_rated
    FROM entry_days
    GROUP BY person_id, date
),
person_parts AS
(
    -- person-days and the entries of each person-day, in one pass over each
    -- (an entry on a day the person has no person-day still counts in the
    -- entry parts); the side a row lacks reads as '' and zeros
    SELECT if(pd.person_id != '', pd.period, e.period) AS period, if(pd.person_id != '', pd.person_id, e.person_id) AS person,
        sumIf(least(e.logged, pd.available), pd.person_id != '' AND pd.day < least({to:Date}, toDate({now:DateTime64(3)}, {tz:String})))
            AS logged_h,
        sumIf(pd.available, pd.person_id != '' AND pd.day < least({to:Date}, toDate({now:DateTime64(3)}, {tz:String}))) AS available_h,
        sum(e.n_entries) AS n_entries, sum(e.n_known) AS n_known, sum(e.n_billable) AS n_billable, sum(e.n_rated) AS n_rated,
        countIf(pd.person_id != '') > 0 AS employed, minIf(isNotNull(pd.cost_rate), pd.person_id != '') AS costed
    FROM person_days AS pd
    FULL OUTER JOIN day_entries AS e ON pd.person_id = e.person_id AND pd.day = e.date
    GROUP BY period, person
),
parts AS
(
    SELECT period, sum(logged_h) AS logged_hours, sum(available_h) AS available_hours,
        sum(n_entries) AS entries, sum(n_known) AS known_entries, sum(n_billable) AS billable_entries,
        sum(n_rated) AS rated_billable_entries, countIf(employed) AS people, countIf(employed AND costed) AS people_with_cost_rate
    FROM person_parts
    GROUP BY period
)
-- the ratios from the sums, in a layer of their own so the engine does not
-- copy each sum into every expression that uses it
SELECT period, '' AS grp,
    if(available_hours = 0, NULL, toFloat64(logged_hours) / toFloat64(available_hours)) AS logged_ratio,
    if(entries = 0, NULL, known_entries / entries) AS known_client_project_ratio,
    if(billable_entries = 0, NULL, rated_billable_entries / billable_entries) AS bill_rate_ratio,
    if(people = 0, NULL, people_with_cost_rate / people) AS cost_rate_ratio,
    logged_hours, available_hours, entries, known_entries, billable_entries, rated_billable_entries, people,
    people_with_cost_rate
FROM parts
ORDER BY period
