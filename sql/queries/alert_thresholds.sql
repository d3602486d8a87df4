-- alert_thresholds: an org's alert thresholds, by id.
-- Parameters: org {org:String}.
-- Columns: threshold_id, kpi, scope_kind, scope_value, comparator String, value Decimal(18, 6),
--   for_seconds UInt32, severity String, created_at DateTime64(3, 'UTC').
SELECT threshold_id, toString(kpi), toString(scope_kind), scope_value, toString(comparator), value, for_seconds,
    toString(severity), created_at
FROM ops.alert_thresholds FINAL
WHERE org_id = {org:String}
ORDER BY threshold_id
