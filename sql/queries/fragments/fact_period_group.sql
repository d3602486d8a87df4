-- fact_period_group: a fact row's period, its date bucketed by {interval} (day,
-- week from Monday, month; none: {from}), and its group by {group_by} (person,
-- role, team, client, project; none: ''), as the columns period and grp.
-- Needs: interval, from, group_by; the row's date, person_id, role, team,
-- client_id and project_id.
multiIf({interval:String} = 'day', date, {interval:String} = 'week', toMonday(date),
            {interval:String} = 'month', toStartOfMonth(date), {from:Date}) AS period,
        multiIf({group_by:String} = 'person', person_id, {group_by:String} = 'role', toString(role),
            {group_by:String} = 'team', toString(team), {group_by:String} = 'client', client_id,
            {group_by:String} = 'project', project_id, '') AS grp
