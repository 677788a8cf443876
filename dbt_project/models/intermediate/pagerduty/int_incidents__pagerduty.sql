{#- PagerDuty incidents in the canonical incident shape (int_incidents_unioned).

    acknowledged_at: the first acknowledge log entry (an ack that later timed out still
        counts, as in PagerDuty Analytics' "time to first ack"); while the incident is
        acknowledged and its log not yet landed, its acknowledgements[] stand in.
    resolved_at: the resolve log entry, else the incident's own resolved_at; null while open
        (PagerDuty cannot reopen a resolved incident).
    is_major: the priority is among the var pagerduty_major_priority_max (2) most severe,
        P1 and P2 (the number in the priority's name, else its rank in PagerDuty's order);
        an incident without a priority is major when its urgency is high, unless var
        pagerduty_high_urgency_is_major is false.
    is_security: the team's or the service's name contains one of var security_keywords. -#}
{%- set major_priority_max = var('pagerduty_major_priority_max', 2) %}
{%- set high_urgency_is_major = var('pagerduty_high_urgency_is_major', true) %}
{%- set security_keywords = var('security_keywords', ['security', 'secops', 'identity']) %}

with

incidents as (

    select * from {{ ref('stg_pagerduty__incidents') }}
    where not is_deleted

),

log_entries as (

    select * from {{ ref('stg_pagerduty__log_entries') }}
    where not is_deleted

),

services as (

    select * from {{ ref('stg_pagerduty__services') }}

),

teams as (

    select * from {{ ref('stg_pagerduty__teams') }}

),

priorities as (

    select * from {{ ref('stg_pagerduty__priorities') }}

),

milestones as (

    select
        incident_id,
        min(case when entry_type = 'acknowledge' then created_at end) as first_acknowledged_at,
        max(case when entry_type = 'resolve' then created_at end) as resolved_at
    from log_entries
    group by 1

),

enriched as (

    select
        incidents.*,
        coalesce(services.service_name, incidents.service_summary) as service_name,
        -- the incident's own team, else the team that owns its service
        coalesce(incident_team.team_name, incidents.team_summary, service_team.team_name) as team_name,
        coalesce(priorities.priority_number,
                 {{ safe_cast("nullif(regexp_replace(incidents.priority_summary, '[^0-9]', '', 'g'), '')",
                              'integer') }}) as priority_number,
        coalesce(priorities.priority_name, incidents.priority_summary) as priority_name,
        milestones.first_acknowledged_at,
        milestones.resolved_at as resolve_entry_at
    from incidents
    left join services
        on services.pagerduty_service_id = incidents.pagerduty_service_id
    left join teams as incident_team
        on incident_team.pagerduty_team_id = incidents.pagerduty_team_id
    left join teams as service_team
        on service_team.pagerduty_team_id = services.pagerduty_team_id
    left join priorities
        on priorities.priority_id = incidents.priority_id
    left join milestones
        on milestones.incident_id = incidents.incident_id

),

canonical as (

    select
        'pagerduty:' || incident_id as incident_key,
        'pagerduty' as source,
        incident_id as source_id,
        cast(incident_number as varchar) as number,
        {{ slug('service_name') }} as service_id,
        {{ slug('team_name') }} as team_id,
        urgency,
        priority_number as priority,
        created_at,
        coalesce(first_acknowledged_at, acknowledgement_at) as acknowledged_at,
        coalesce(resolve_entry_at, case when status = 'resolved' then resolved_at end) as resolved_at,
        case
            when priority_number is not null then priority_number <= {{ major_priority_max }}
            else {{ 'urgency = \'high\'' if high_urgency_is_major else 'false' }}
        end as is_major,
        (
            {%- for keyword in security_keywords %}
            lower(coalesce(team_name, '')) like '%{{ keyword }}%'
            or lower(coalesce(service_name, '')) like '%{{ keyword }}%'
            {{- " or" if not loop.last }}
            {%- endfor %}
        ) as is_security,
        updated_at
    from enriched

)

select * from canonical
