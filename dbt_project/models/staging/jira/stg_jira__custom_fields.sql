{#- This site's ids of the custom fields staging reads, found by name (and by type where a
    site has two fields of the same name): one row. Jira assigns custom field ids per site. -#}
with

fields as (

    select * from {{ ref('stg_jira__fields') }}
    where is_custom and not is_deleted

),

by_name as (

    select
        {%- for column, name, custom_type in [
            ('team_field_id', 'Team', 'com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team'),
            ('request_type_field_id', 'Request Type', 'com.atlassian.servicedesk:vp-origin'),
            ('first_response_sla_field_id', 'Time to first response', 'com.atlassian.servicedesk:sd-sla-field'),
            ('resolution_sla_field_id', 'Time to resolution', 'com.atlassian.servicedesk:sd-sla-field'),
            ('satisfaction_field_id', 'Satisfaction', 'com.atlassian.servicedesk:sd-request-feedback'),
            ('satisfaction_date_field_id', 'Satisfaction date', 'com.atlassian.servicedesk:sd-request-feedback-date'),
        ] %}
        coalesce(
            min(case when field_name = '{{ name }}' and custom_type = '{{ custom_type }}' then field_id end),
            min(case when field_name = '{{ name }}' then field_id end)
        ) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}

    from fields

)

select * from by_name
