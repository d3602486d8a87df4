-- retro_events: the retro_held task events tools sent, per calendar quarter of
-- the day they occurred (org time zone). The maturity level counts them as
-- retros held beside the retro records (ops.retros), so the Retros page and
-- /api/v1/retros show them too.
-- Parameters: org String, tz String.
-- Columns: quarter Date, events UInt64, last_day Date.
SELECT toStartOfQuarter(toDate(occurred_at, {tz:String})) AS quarter, count() AS events,
    max(toDate(occurred_at, {tz:String})) AS last_day
FROM ops.task_events FINAL
WHERE org_id = {org:String} AND type = 'retro_held'
GROUP BY quarter
ORDER BY quarter DESC
