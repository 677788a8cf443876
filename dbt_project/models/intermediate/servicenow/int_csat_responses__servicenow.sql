{#- ServiceNow survey answers in the canonical CSAT shape: one row per answered scale question
    of a completed survey triggered by a (live) incident. A 1-5 question is CSAT (4-5 satisfied),
    a 0-10 question is the NPS "would you recommend" question; free-text answers become the
    comment of the CSAT row. Unanswered questions (string_value 'N/A') are left out. -#}
with

results as (

    select * from {{ ref('stg_servicenow__survey_results') }}
    where not is_deleted
      and is_answered

),

questions as (

    select * from {{ ref('stg_servicenow__survey_questions') }}

),

instances as (

    select * from {{ ref('stg_servicenow__survey_instances') }}
    where not is_deleted
      and state = 'complete'
      and trigger_table = 'incident'

),

incidents as (

    select * from {{ ref('stg_servicenow__incidents') }}
    where not is_deleted

),

classified as (

    select
        results.*,
        questions.scale_min,
        questions.scale_max,
        case
            when questions.data_type = 'string' then null
            when questions.scale_min = 1 and questions.scale_max = 5 then 'csat'
            when questions.scale_min = 0 and questions.scale_max = 10 then 'nps'
        end as question,
        questions.data_type = 'string' as is_text
    from results
    inner join questions
        on questions.question_id = results.question_id

),

comments as (

    select
        survey_instance_id,
        string_value as comment,
        row_number() over (partition by survey_instance_id order by survey_result_id) as nth
    from classified
    where is_text

),

canonical as (

    select
        'servicenow:' || classified.survey_result_id as response_key,
        'servicenow' as source,
        classified.survey_result_id as source_id,
        'servicenow:' || instances.trigger_id as ticket_key,
        coalesce(instances.taken_at, classified.created_at) as responded_at,
        classified.question,
        classified.actual_value as score,
        classified.scale_min,
        classified.scale_max,
        case when classified.question = 'csat' then classified.actual_value >= 4 end as is_satisfied,
        case when classified.question = 'csat' then comments.comment end as comment,
        -- inner-joined to its ticket below: never ahead of it
        false as is_ticket_pending
    from classified
    inner join instances
        on instances.survey_instance_id = classified.survey_instance_id
    inner join incidents
        on incidents.incident_id = instances.trigger_id
    left join comments
        on comments.survey_instance_id = classified.survey_instance_id
        and comments.nth = 1
    where classified.question is not null

)

select * from canonical
