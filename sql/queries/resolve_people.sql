-- resolve_people: the people of one org, for matching time exports and the
-- people a collector brings to the org's people by id, email or name. One
-- row per person (its latest version).
-- Parameters: org {org:String}.
-- Columns: external_id String, email String, name String, source String
--   (of the latest version), assumed String ('1' when its capacity is
--   assumed: created on first sight), versions String (every version's valid_from,
--   space-separated, for replacing an assumed person's rows).
SELECT external_id, argMax(email, valid_from) AS email, argMax(name, valid_from) AS name,
    toString(argMax(source, valid_from)) AS source, toString(argMax(capacity_assumed, valid_from)) AS assumed,
    arrayStringConcat(arraySort(groupArray(toString(valid_from))), ' ') AS versions
FROM ops.people FINAL
WHERE org_id = {org:String}
GROUP BY external_id
ORDER BY external_id
