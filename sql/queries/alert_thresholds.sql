-- alert_thresholds: one org's alert thresholds, or every org's for the
-- collector's opsmetrics_alert_threshold series, by org and id.
-- Parameters: org {org:String} ('' = every org).
-- Columns: org_id, threshold_id, kpi, scope_kind, scope_value, comparator String,
--   value Decimal(18, 6), for_seconds UInt32, severity String, created_at DateTime64(3, 'UTC').
SELECT org_id, threshold_id, toString(kpi), toString(scope_kind), scope_value, toString(comparator), value, for_seconds,
    toString(severity), created_at
FROM ops.alert_thresholds FINAL
WHERE {org:String} = '' OR org_id = {org:String}
ORDER BY org_id, threshold_id
