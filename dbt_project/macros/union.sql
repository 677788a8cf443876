{#- Union per-source canonical models column by column, by name: a source model may
    order its columns freely, and a missing column is a compile error, not a silent shift.

    Every column is cast to its canonical type (canonical_column_types below), so a source
    that sends a priority as text or a count as a double fails loudly here instead of
    widening the union's type for everyone. With no source registered yet the union is
    a typed empty relation, so everything downstream still builds and tests. -#}
{% macro union_canonical(models, columns) -%}
    {%- set types = canonical_column_types() -%}
    {%- for column in columns if column not in types -%}
        {{ exceptions.raise_compiler_error("union_canonical: no canonical type for column '" ~ column
            ~ "'; add it to canonical_column_types() in macros/union.sql") }}
    {%- endfor -%}
    {%- if models | length == 0 %}
    select
        {%- for column in columns %}
        cast(null as {{ types[column] }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    where 1 = 0
    {%- endif -%}
    {%- for model in models %}
    select
        {%- for column in columns %}
        cast({{ column }} as {{ types[column] }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref(model) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- The type of every column of every canonical shape (docs/adding-a-source.md). A name
    means the same thing, with the same type, in every shape it appears in. -#}
{% macro canonical_column_types() -%}
    {%- set text = 'varchar' -%}
    {%- set moment = 'timestamp with time zone' -%}
    {%- set number = type_double() -%}
    {{ return({
        'source': text, 'source_id': text, 'number': text, 'updated_at': moment,
        'team_id': text, 'team_name': text, 'service_id': text, 'person_id': text, 'project_id': text,
        'priority': 'integer', 'is_major': 'boolean', 'is_security': 'boolean', 'is_active': 'boolean',
        'ticket_key': text, 'ticket_type': text, 'status_category': text, 'opened_at': moment,
        'first_response_at': moment, 'resolved_at': moment, 'closed_at': moment, 'reopen_count': 'integer',
        'reassignment_count': 'integer', 'made_sla': 'boolean',
        'changed_at': moment, 'source_status': text,
        'incident_key': text, 'urgency': text, 'created_at': moment, 'acknowledged_at': moment,
        'source_user_id': text, 'email': text, 'full_name': text,
        'time_entry_key': text, 'entry_date': 'date', 'task_name': text, 'hours': number,
        'billable_hours': number, 'cost_amount': number, 'is_billable': 'boolean',
        'response_key': text, 'responded_at': moment, 'question': text, 'score': number, 'scale_min': number,
        'scale_max': number, 'is_satisfied': 'boolean', 'comment': text,
        'is_ticket_pending': 'boolean',
        'sla_key': text, 'sla_name': text, 'metric': text, 'target_minutes': number, 'started_at': moment,
        'breach_at': moment, 'stopped_at': moment, 'is_breached': 'boolean', 'is_paused': 'boolean',
        'paused_minutes': number, 'in_business_hours': 'boolean',
        'change_key': text, 'change_type': text, 'risk': text, 'outcome': text, 'planned_start_at': moment,
        'planned_end_at': moment, 'work_start_at': moment, 'work_end_at': moment, 'caused_incident': 'boolean',
        'source_team_id': text, 'source_service_id': text, 'service_name': text, 'criticality': 'integer',
        'project_key': text, 'project_name': text, 'client_name': text, 'pricing_model': text,
        'budget_amount': number, 'budget_hours': number, 'currency': text, 'start_date': 'date',
        'end_date': 'date', 'is_confirmed': 'boolean',
        'contract_key': text, 'source_person_id': text, 'employment_type': text, 'job_title': text,
        'cost_per_hour': number, 'minutes_per_day': number, 'monday_minutes': number,
        'tuesday_minutes': number, 'wednesday_minutes': number, 'thursday_minutes': number,
        'friday_minutes': number, 'saturday_minutes': number, 'sunday_minutes': number,
        'weekly_minutes': number,
    }) }}
{%- endmacro %}
