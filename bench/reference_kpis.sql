-- The limit for benchmark 2 (full build): the headline KPIs computed by hand, in one DuckDB
-- script, straight from the same raw tables the dbt project reads. No staging, no identity
-- resolution, no SLA engine, no tests, no history: what a person who knows the data would
-- write to get the numbers once. dbt must stay within 2x of this (issue 8).
--
-- Headline KPIs per calendar month (UTC) and team-less totals: tickets opened and resolved,
-- mean and median resolution hours (ServiceNow incidents, Jira issues, Zendesk tickets),
-- MTTR of PagerDuty incidents, hours logged (Harvest + Runn).
set TimeZone = 'UTC';

create or replace temp table ref_tickets as
select 'servicenow' as source, id,
       try_strptime(record->>'opened_at', '%Y-%m-%d %H:%M:%S')::timestamptz as opened_at,
       try_strptime(nullif(record->>'resolved_at', ''), '%Y-%m-%d %H:%M:%S')::timestamptz as resolved_at
from raw_servicenow.incident where not _is_deleted
union all
select 'jira', id,
       try_strptime(record->>'$.fields.created', '%Y-%m-%dT%H:%M:%S.%g%z')::timestamptz,
       try_strptime(record->>'$.fields.resolutiondate', '%Y-%m-%dT%H:%M:%S.%g%z')::timestamptz
from raw_jira.issues where not _is_deleted
union all
select 'zendesk', t.id,
       (t.record->>'created_at')::timestamptz,
       (m.record->>'solved_at')::timestamptz
from raw_zendesk.tickets t
left join raw_zendesk.ticket_metrics m on (m.record->>'ticket_id') = t.id
where not t._is_deleted;

create or replace temp table ref_kpis as
with opened as (
    select date_trunc('month', opened_at)::date as month, count(*) as tickets_opened
    from ref_tickets where opened_at is not null group by 1
), resolved as (
    select date_trunc('month', resolved_at)::date as month, count(*) as tickets_resolved,
           avg(epoch(resolved_at - opened_at) / 3600) as resolution_hours_mean,
           median(epoch(resolved_at - opened_at) / 3600) as resolution_hours_median
    from ref_tickets where resolved_at is not null and opened_at is not null group by 1
), incidents as (
    select date_trunc('month', (record->>'resolved_at')::timestamptz)::date as month,
           avg(epoch((record->>'resolved_at')::timestamptz - (record->>'created_at')::timestamptz) / 3600)
               as mttr_hours_mean,
           median(epoch((record->>'resolved_at')::timestamptz - (record->>'created_at')::timestamptz) / 3600)
               as mttr_hours_median
    from raw_pagerduty.incidents
    where not _is_deleted and record->>'resolved_at' is not null
    group by 1
), hours as (
    select month, sum(hours) as hours_logged from (
        select date_trunc('month', (record->>'spent_date')::date)::date as month, (record->>'hours')::double as hours
        from raw_harvest.time_entries where not _is_deleted
        union all
        select date_trunc('month', (record->>'date')::date)::date,
               ((record->>'billableMinutes')::double + (record->>'nonbillableMinutes')::double) / 60
        from raw_runn.actuals where not _is_deleted
    ) group by 1
)
select * from opened
full join resolved using (month)
full join incidents using (month)
full join hours using (month)
order by month;

select count(*) as months, sum(tickets_opened) as tickets_opened, sum(hours_logged) as hours_logged from ref_kpis;
