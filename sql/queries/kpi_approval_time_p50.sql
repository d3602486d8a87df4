-- kpi: approval_time_p50
-- title: Client approval time, p50
-- unit: hours
-- group_by: client, project
-- filters: client, project
-- version: 2
-- description: The median time clients took to decide on a review request (approve or ask for changes), over review cycles decided in the range, in calendar hours; business_hours gives the same within the org's workdays and business hours.
-- Parameters: org, from, to, group_by, interval, client, project, tz, org_workdays, day_start, day_end.
--   A cycle runs from a client_review_requested event to the deliverable's next client
--   decision (fragments/review_cycles.sql, decided_cycles.sql). Percentiles interpolate linearly between the
--   sorted values (quantileExactInclusive, as Excel PERCENTILE.INC). period is the bucket of
--   the decision's date in the org's time zone.
-- Columns: period Date, grp String, value Float64 (calendar hours), business_hours Float64,
--   cycles UInt64 (decided cycles), p90 Float64 (calendar hours: approval_time_p90's value, here
--   too so a page that shows both asks once; version 2).
WITH {{decided_cycles}}
SELECT period, grp, quantileExactInclusive(0.5)(hours) AS value, quantileExactInclusive(0.5)(work_hours) AS business_hours,
    count() AS cycles, quantileExactInclusive(0.9)(hours) AS p90
FROM decided_cycles
GROUP BY period, grp
ORDER BY period, grp
