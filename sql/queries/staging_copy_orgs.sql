-- staging_copy_orgs: staging_copy for the org row, whose table has no
-- batch_id (staging_orgs adds it last).
-- Parameters: batch {batch:String}.
-- Columns: none.
INSERT INTO ops.orgs
SELECT * EXCEPT (batch_id) FROM ops.staging_orgs WHERE batch_id = {batch:String}
