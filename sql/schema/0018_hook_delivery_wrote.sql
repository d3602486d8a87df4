-- What each applied delivery wrote, one line per record in words ("task
-- PROJ-7 status Doing → Client Review", "deliverable PROJ-7 due
-- 2026-12-10"), for `hook deliveries` and the API, as the tools' own
-- delivery logs show them. events (0015) keeps the ids a replay needs;
-- this is for people. Deliveries recorded before read [].
ALTER TABLE ops.hook_deliveries ADD COLUMN IF NOT EXISTS wrote Array(String) DEFAULT [];
