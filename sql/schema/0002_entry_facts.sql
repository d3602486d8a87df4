-- entry_facts: every time entry of an org with what the KPIs need resolved
-- once, so that a KPI reads plain columns instead of resolving rates, roles
-- and invoice-line shares for every entry on every request (docs/benchmarks.md,
-- issue #4: that resolution was most of the money KPIs' time).
--   Derived data, never written by ingest: metrics/facts.go builds one org's
--   rows from time_entries, people, roles, projects, invoice_lines and
--   adjustments
--   (sql/queries/entry_facts_build.sql) under a build_id that hashes what it
--   was built from, and builds again when that changes. A query reads only
--   the build it was given. Two processes building the same build write the
--   same rows, which FINAL collapses.
CREATE TABLE IF NOT EXISTS ops.entry_facts
(
    org_id         String,
    build_id       String,
    external_id    String,
    person_id      String,
    date           Date,
    hours          Decimal(18, 6),
    billable       UInt8,
    billing_status LowCardinality(String),
    billed_amount  Nullable(Decimal(18, 4)),
    invoice_id     String,
    deliverable_id String,
    tags           Array(String),
    task           String,
    project_id     String,
    client_id      String,
    role           LowCardinality(String),
    team           LowCardinality(String),
    bill_rate      Nullable(Decimal(18, 4)),
    cost_rate      Nullable(Decimal(18, 4)),
    standard_value Decimal(38, 10),
    kind           LowCardinality(String), -- the project's kind, '' without a project
    listed         UInt8,                  -- 1 when an invoice line lists the entry
    billed_value   Decimal(38, 10),        -- of a billed billable entry, else 0
    retainer_excess_hours Decimal(38, 10)  -- hours past its retainer's monthly contract
)
ENGINE = ReplacingMergeTree
ORDER BY (org_id, build_id, date, external_id); -- one build's date range per org

-- adjustment_facts: the org's write_off and write_up adjustments with their
-- date, person, project, client, role, team, bill rate and value resolved
-- (sql/queries/fragments/adjustment_resolve.sql), under the same builds as
-- entry_facts.
CREATE TABLE IF NOT EXISTS ops.adjustment_facts
(
    org_id          String,
    build_id        String,
    external_id     String,
    kind            LowCardinality(String), -- write_off, write_up
    reason          LowCardinality(String), -- an unknown or empty reason is 'other'
    date            Date,
    person_id       String,
    project_id      String,
    client_id       String,
    role            LowCardinality(String),
    team            LowCardinality(String),
    project_kind    LowCardinality(String),
    write_off       Decimal(38, 10),
    write_off_hours Decimal(38, 10),
    write_up        Decimal(38, 10)
)
ENGINE = ReplacingMergeTree
ORDER BY (org_id, build_id, date, external_id);

-- entry_fact_builds: the builds that finished; a build without its row here
-- is incomplete and is built again.
CREATE TABLE IF NOT EXISTS ops.entry_fact_builds
(
    org_id   String,
    build_id String,
    rows     UInt64, -- entry_facts and adjustment_facts rows of the build
    built_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (org_id, build_id);
