-- data_quality_deliverables: data_quality's due-date part (kpi_data_quality.sql), run
-- beside it: per period, the deliverables that appeared in [from, to) (first task event,
-- else updated_at, else ingest day; fragments/loop_deliverables.sql) and how many of
-- them have a due date.
-- Parameters: org, from, to, interval, tz.
-- Columns: period Date, deliverables UInt64, deliverables_with_due UInt64.
WITH {{loop_deliverables}}
SELECT multiIf({interval:String} = 'day', anchor_day, {interval:String} = 'week', toMonday(anchor_day),
        {interval:String} = 'month', toStartOfMonth(anchor_day), {from:Date}) AS period,
    count() AS deliverables, countIf(has_due) AS deliverables_with_due
FROM loop_deliverables
WHERE anchor_day >= {from:Date} AND anchor_day < {to:Date}
GROUP BY period
ORDER BY period
