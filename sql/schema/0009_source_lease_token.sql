-- The sync lease is a fenced lock (issue 15): each hold of a source's lease
-- has its own random token, and the holder checks that owner and token
-- still hold it right before its sync's batch is made visible and its
-- cursor saved, so a replica that stalled past its lease while another took
-- it over writes nothing. Claims written before this column read 0, which
-- no hold has.
ALTER TABLE ops.source_leases ADD COLUMN IF NOT EXISTS token UInt64 DEFAULT 0;
