-- retros_list: an org's quarterly retros, newest quarter first.
-- Parameters: org String.
-- Columns: quarter Date, held_on Date, author String, created_at DateTime64(3).
SELECT quarter, held_on, author, created_at
FROM ops.retros FINAL
WHERE org_id = {org:String}
ORDER BY quarter DESC
