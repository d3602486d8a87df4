-- org_settings: one org's settings, if the org exists.
-- Parameters: org {org:String}.
-- Columns: name String, time_zone String, currency String, workdays UInt8,
--   workday_start_minute UInt16, workday_end_minute UInt16, grace_days UInt16,
--   overhead_per_hour Decimal(18, 4), stuck_review_hours UInt16.
SELECT name, time_zone, currency, workdays, workday_start_minute, workday_end_minute, grace_days, overhead_per_hour,
    stuck_review_hours
FROM ops.orgs FINAL
WHERE org_id = {org:String}
