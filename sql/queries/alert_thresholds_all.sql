-- alert_thresholds_all: every org's alert thresholds, for the collector's
-- opsmetrics_alert_threshold series.
-- Columns: org_id, then those of alert_thresholds.
SELECT org_id, threshold_id, toString(kpi), toString(scope_kind), scope_value, toString(comparator), value, for_seconds,
    toString(severity), created_at
FROM ops.alert_thresholds FINAL
ORDER BY org_id, threshold_id
