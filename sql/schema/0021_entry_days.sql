-- entry_days: an org's entry facts summed per day, person, project, client
-- and the states a KPI splits entries by, so that the hours and money KPIs
-- read one row per person-day and project instead of one per time entry
-- (issue 19: most of their cold time was reading and summing entry facts).
--   Every sum is of a per-entry value computed as the KPIs computed it per
--   entry (each product and quotient truncated to 10 places per entry, then
--   summed), and Decimal sums are exact, so a KPI that sums these columns
--   gets the numbers it got summing the entries.
--   Built with the entry facts, not kept by a materialized view: a view sees
--   inserts only, so on a ReplacingMergeTree source it would add a
--   re-imported entry's old and new versions both (the merge that drops the
--   old one never reaches the view) and cannot see a tombstone take an entry
--   away; and an entry's rates, role, billed value and over-service change
--   with writes to other tables (people, roles, projects, invoice lines,
--   adjustments). metrics/facts.go writes this table in the same build as
--   ops.entry_facts, under the same build_id, from that build's facts
--   (sql/queries/entry_days_build.sql), counts its rows in the build's
--   whole-build check and prunes it with the other builds: a KPI reading a
--   build reads the rollup of exactly the facts it names.
CREATE TABLE IF NOT EXISTS ops.entry_days
(
    org_id          String,
    build_id        String,
    date            Date,
    person_id       String,
    project_id      String,
    client_id       String,
    role            LowCardinality(String), -- the person's on the date
    team            LowCardinality(String),
    kind            LowCardinality(String), -- the project's kind, '' without a project
    billable        UInt8,
    billing_status  LowCardinality(String),
    -- a written-off entry's write-off reason (of the latest write_off
    -- adjustment that names it), else 'other'; 'other' for every other entry
    reason          LowCardinality(String),
    entries         UInt64,                 -- time entries summed in the row
    rated_entries   UInt64,                 -- of them, those whose bill rate resolves
    hours           Decimal(38, 10),
    standard_value  Decimal(38, 10),
    billed_value    Decimal(38, 10),
    cost            Decimal(38, 10),        -- Σ hours × cost rate (0 without one)
    uncosted_hours  Decimal(38, 10),        -- hours without a cost rate (none, or 0)
    write_off       Decimal(38, 10),        -- a written-off entry's standard value, else the invoice shortfall
    write_off_hours Decimal(38, 10),        -- its hours, else the shortfall ÷ bill rate
    reason_write_off_hours Decimal(38, 10), -- write_off_hours of entries with a write-off or write-up value
    write_up        Decimal(38, 10),        -- billed above standard value
    retainer_overage Decimal(38, 10),       -- billed value of retainer entries an invoice line lists
    retainer_excess_hours Decimal(38, 10),  -- hours past the retainer's monthly contract
    retainer_excess_value Decimal(38, 10),  -- those hours × the entry's bill rate
    valued_excess_hours Decimal(38, 10)     -- retainer_excess_hours of entries whose excess has a value
)
ENGINE = ReplacingMergeTree
-- one build's date range per org; the rest is the whole group key, so the
-- same row written twice (two processes, a build cut short and redone)
-- collapses under FINAL and two different groups never do
ORDER BY (org_id, build_id, date, person_id, project_id, client_id, role, team, kind, billable, billing_status, reason);
