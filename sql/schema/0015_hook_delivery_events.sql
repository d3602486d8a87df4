-- The task events each delivery wrote (their external ids), so that a replay
-- after a mapping change removes the events the new mapping no longer makes
-- (a client_review_requested under the old mapping of a status) instead of
-- leaving them beside the new ones. Deliveries recorded before read [].
ALTER TABLE ops.hook_deliveries ADD COLUMN IF NOT EXISTS events Array(String) DEFAULT [];
