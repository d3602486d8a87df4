-- active_parts: how many more active parts the ops database's tables hold
-- than one each, for an import that pauses merges
-- (importer.Config.PauseMerges): the parts waiting to be merged.
-- Parameters: none.
-- Columns: parts UInt64.
SELECT toUInt64(sum(n - 1)) AS parts
FROM
(
    SELECT table, count() AS n
    FROM system.parts
    WHERE database = 'ops' AND active
    GROUP BY table
)
