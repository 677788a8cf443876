{#- ServiceNow status history, DERIVED from the incident's own timestamps until the
    metric_instance / sys_audit history stream lands (the ServiceNow connector issue):

      opened_at                 -> open      ('New')
      updated_at, if on hold    -> pending   ('On Hold')   the last update is the best bound we have
      resolved_at               -> resolved  ('Resolved')
      closed_at, if closed      -> closed    ('Closed')
      closed_at or updated_at   -> canceled  ('Canceled')  for canceled incidents

    What this cannot see: earlier hold/resume cycles, a resolution that a reopen cleared
    (ServiceNow blanks resolved_at on reopen), and team or priority changes (every row
    carries the incident's current assignment group and priority). So reopens derived
    from it are always 0; fct_tickets uses ServiceNow's native reopen_count, and the
    reopen reconciliation test skips this source (var derived_status_history_sources). -#}
with

tickets as (

    select * from {{ ref('int_tickets__servicenow') }}

),

changes as (

    select ticket_key, source, opened_at as changed_at, 'open' as status_category, 'New' as source_status,
           team_id, priority
    from tickets

    union all

    select ticket_key, source, updated_at, 'pending', 'On Hold', team_id, priority
    from tickets
    where status_category = 'pending' and updated_at > opened_at

    union all

    select ticket_key, source, resolved_at, 'resolved', 'Resolved', team_id, priority
    from tickets
    where resolved_at is not null and status_category in ('resolved', 'closed')

    union all

    select ticket_key, source, closed_at, 'closed', 'Closed', team_id, priority
    from tickets
    where closed_at is not null and status_category = 'closed'

    union all

    select ticket_key, source, coalesce(closed_at, updated_at), 'canceled', 'Canceled', team_id, priority
    from tickets
    where status_category = 'canceled'

)

select * from changes
where changed_at is not null
