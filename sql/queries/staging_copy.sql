-- staging_copy: makes one staged intake batch visible: copies its rows of
-- one staging table into the table the KPIs read (sql/schema/0005_staging.sql).
-- Copying again adds nothing: the rows keep their keys and versions, and
-- ReplacingMergeTree keeps one of each.
-- Parameters: table {table:Identifier} (an entity table of ops, chosen by the
-- code), staging {staging:Identifier} (its staging table), batch {batch:String}.
-- Columns: none.
INSERT INTO ops.{table:Identifier}
SELECT * FROM ops.{staging:Identifier} WHERE batch_id = {batch:String}
