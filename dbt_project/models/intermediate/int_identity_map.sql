{#- The identity map: one row per source account (source, source_user_id) with the person it
    belongs to. Each source contributes int_people__<source> (source, source_user_id, email,
    full_name, team_id, team_name, is_active); add a source to the list below.

    Identity overrides (int_identity_overrides: the seed and the identity_overrides
    spreadsheets) are applied first: a listed account takes its canonical_email (an alias, an
    old domain, an account without an e-mail). Accounts then belong to the person of their
    normalised e-mail (person_id = person_key(email)); accounts without any e-mail are left out.
    team_rank orders the sources for the person's team (see int_people_resolved). -#}
{%- set sources = ['int_people__servicenow', 'int_people__harvest', 'int_people__runn', 'int_people__spreadsheets',
                   'int_people__pagerduty', 'int_people__zendesk', 'int_people__jira'] %}
{%- set columns = ['source', 'source_user_id', 'email', 'full_name', 'team_id', 'team_name', 'is_active'] %}
{%- set team_precedence = ['runn', 'spreadsheets', 'servicenow'] %}

with

identities as (

    {{ union_canonical(sources, columns) }}

),

overrides as (

    select * from {{ ref('int_identity_overrides') }}

),

identified as (

    select
        identities.source,
        identities.source_user_id,
        lower(trim(coalesce(overrides.canonical_email, identities.email))) as email,
        overrides.canonical_email is not null as is_overridden,
        identities.full_name,
        identities.team_id,
        identities.team_name,
        identities.is_active,
        case identities.source
            {%- for source in team_precedence %}
            when '{{ source }}' then {{ loop.index }}
            {%- endfor %}
            else {{ team_precedence | length + 1 }}
        end as team_rank
    from identities
    left join overrides
        on overrides.source = identities.source
        and overrides.source_user_id = identities.source_user_id
    where coalesce(overrides.canonical_email, identities.email) is not null

),

mapped as (

    select
        {{ person_key('email') }} as person_id,
        identified.*
    from identified

)

select * from mapped
