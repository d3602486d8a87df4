-- list_slips: the distribution behind slip_days, for the
-- delivery page's histogram: how many late deliveries delivered in
-- [from, to) slipped by each number of days. The late set is
-- kpi_slip_days.sql's: delivered (as a date in the org's time zone) more than
-- grace days after a due date. The page groups the days into buckets.
-- Parameters: org String, tz String, client String, project String, person
--   String (delivery_items' filters; '' for all), from Date, to Date,
--   grace_days UInt64.
-- Columns: slip Int64 (delivery day − due date, in days), deliveries UInt64.
WITH {{delivery_items}}
SELECT toInt64(dateDiff('day', assumeNotNull(due_date), assumeNotNull(delivered_day))) AS slip, count() AS deliveries
FROM delivery_items
WHERE delivered_day >= {from:Date} AND delivered_day < {to:Date} AND due_date IS NOT NULL
  AND delivered_day > due_date + {grace_days:UInt64}
GROUP BY slip
ORDER BY slip
