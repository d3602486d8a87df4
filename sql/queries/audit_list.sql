-- audit_list: an org's audit trail, newest first, optionally of one kind
-- and subject ('' for any).
-- Parameters: org String, kind String, subject String, lim UInt32.
-- Columns: at DateTime64(3), who String, kind String, subject String,
--   name String, before String, after String.
SELECT at, who, kind, subject, name, before, after
FROM ops.audit
WHERE org_id = {org:String}
  AND ({kind:String} = '' OR kind = {kind:String})
  AND ({subject:String} = '' OR subject = {subject:String})
ORDER BY at DESC
LIMIT {lim:UInt32}
