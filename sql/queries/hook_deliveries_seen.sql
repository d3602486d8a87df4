-- hook_deliveries_seen: the receipts already recorded of the given delivery
-- ids of the given hooks, for the worker's once-only check.
-- Parameters: hooks {hooks:Array(String)}, ids {ids:Array(String)}.
-- Columns: hook_id String, delivery_id String, received DateTime64(6, 'UTC'), status String, reason String.
SELECT hook_id, delivery_id, received, toString(status), reason
FROM ops.hook_deliveries FINAL
WHERE hook_id IN {hooks:Array(String)} AND delivery_id IN {ids:Array(String)}
ORDER BY received
