-- org_data_currencies: the currencies an org's data names, for an org whose
-- settings name none (metrics: a result's currency comes from the settings,
-- else from the data, never from a default): its clients' and its time
-- entries'. Time entries are read without FINAL: only which currencies occur
-- matters, and the column alone is read quickly.
-- Parameters: org {org:String}.
-- Columns: currency String, one row per currency, sorted.
SELECT DISTINCT toString(currency) AS currency
FROM
(
    SELECT currency FROM ops.clients FINAL WHERE org_id = {org:String} AND currency != ''
    UNION ALL
    SELECT currency FROM ops.time_entries WHERE org_id = {org:String} AND currency != ''
)
ORDER BY currency
