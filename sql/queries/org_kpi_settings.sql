-- org_kpi_settings: what the KPI queries need to know about an org.
-- Parameters: org {org:String}.
-- Columns: time_zone String, currency String, grace_days UInt16, workdays UInt8,
--   workday_start_minute UInt16, workday_end_minute UInt16, overhead_per_hour Decimal(18, 4).
SELECT time_zone, currency, grace_days, workdays, workday_start_minute, workday_end_minute, overhead_per_hour
FROM ops.orgs FINAL
WHERE org_id = {org:String}
