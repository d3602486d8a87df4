-- The data version of each org (metrics/versions.go), for a store shared by
-- several processes (a ClickHouse server with several `serve` replicas, or
-- a CLI import beside them): every write that lands adds a row of 1 for the
-- orgs it wrote, and an org's version is the sum of its rows with the rows
-- of org '' (writes whose orgs are not known). A sum only grows, whichever
-- replica's clock is ahead, so two versions are equal only when no write
-- landed between them. SummingMergeTree folds the rows of an org into one.
-- The embedded engine, used by one process alone, keeps the versions in
-- memory and never writes here.
CREATE TABLE IF NOT EXISTS ops.data_versions
(
    org_id String,
    bumps UInt64
)
ENGINE = SummingMergeTree(bumps)
ORDER BY org_id;
