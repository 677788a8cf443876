{#- Project x month: the hours and cost logged in the month, the scheduled work still to come
    (Runn assignments after the as-of date, placeholders included at their role's cost), and
    the project's earned-value position at the month's end.

    - actual cost: time entries' cost_amount (Harvest: hours x the entry's cost rate; Runn
      actuals: hours x the contract's costPerHour in force that day);
    - forecast cost at completion (EAC) = all actual cost + all remaining scheduled cost (Runn's
      "actuals + scheduled" forecast); the same value on every month of a project;
    - % complete at a month's end = actual hours logged by then / (all actual + all remaining
      scheduled hours): Runn's completed %, on hours (known when the project has any hours);
    - planned % at a month's end = the elapsed share of the planned dates (start..end, both
      counted; known with both dates): a straight-line baseline, the warehouse keeps no history
      of plans;
    - earned value = budget x % complete, planned value = budget x planned %, both at the
      month's end (null without a budget). -#}
with

projects as (

    select * from {{ ref('dim_projects') }}

),

as_of as (

    select as_of_date from {{ ref('int_time_as_of') }}

),

months as (

    select month_start, max(date_day) as month_end
    from {{ ref('dim_date') }}
    group by month_start

),

actuals as (

    select
        project_id,
        {{ period_start('month', 'entry_date') }} as month_start,
        sum(hours) as actual_hours,
        sum(billable_hours) as actual_billable_hours,
        sum(cost_amount) as actual_cost,
        max(entry_date) as last_entry_date
    from {{ ref('int_time_entries_unioned') }}
    where project_id is not null
    group by 1, 2

),

remaining as (

    select
        project_id,
        {{ period_start('month', 'date_day') }} as month_start,
        sum(scheduled_hours) as scheduled_remaining_hours,
        sum(scheduled_cost) as scheduled_remaining_cost,
        max(date_day) as last_scheduled_date
    from {{ ref('fct_assignments') }}
    where is_future and project_id is not null
    group by 1, 2

),

project_months as (

    select project_id, month_start from actuals
    union
    select project_id, month_start from remaining

),

monthly as (

    select
        project_months.project_id,
        project_months.month_start,
        months.month_end,
        coalesce(actuals.actual_hours, 0) as actual_hours,
        coalesce(actuals.actual_billable_hours, 0) as actual_billable_hours,
        coalesce(actuals.actual_cost, 0) as actual_cost,
        coalesce(remaining.scheduled_remaining_hours, 0) as scheduled_remaining_hours,
        coalesce(remaining.scheduled_remaining_cost, 0) as scheduled_remaining_cost,
        actuals.last_entry_date,
        remaining.last_scheduled_date
    from project_months
    inner join months
        on months.month_start = project_months.month_start
    left join actuals
        on actuals.project_id = project_months.project_id
        and actuals.month_start = project_months.month_start
    left join remaining
        on remaining.project_id = project_months.project_id
        and remaining.month_start = project_months.month_start

),

totals as (

    select
        project_id,
        sum(actual_hours) as total_actual_hours,
        sum(actual_cost) as total_actual_cost,
        sum(scheduled_remaining_hours) as total_remaining_hours,
        sum(scheduled_remaining_cost) as total_remaining_cost,
        max(last_entry_date) as last_entry_date,
        max(last_scheduled_date) as last_scheduled_date
    from monthly
    group by project_id

),

cumulative as (

    select
        monthly.*,
        sum(monthly.actual_hours) over (
            partition by monthly.project_id order by monthly.month_start rows unbounded preceding
        ) as cumulative_actual_hours,
        sum(monthly.actual_cost) over (
            partition by monthly.project_id order by monthly.month_start rows unbounded preceding
        ) as cumulative_actual_cost
    from monthly

),

measured as (

    select
        cumulative.project_id,
        cumulative.month_start,
        projects.project_category,
        projects.team_id,
        projects.currency,
        projects.is_confirmed,
        projects.budget_amount,
        cumulative.actual_hours,
        cumulative.actual_billable_hours,
        cumulative.actual_cost,
        cumulative.scheduled_remaining_hours,
        cumulative.scheduled_remaining_cost,
        cumulative.cumulative_actual_hours,
        cumulative.cumulative_actual_cost,
        totals.total_actual_cost + totals.total_remaining_cost as forecast_cost_at_completion,
        totals.total_actual_hours + totals.total_remaining_hours as forecast_hours_at_completion,
        case when totals.last_scheduled_date is null or totals.last_entry_date > totals.last_scheduled_date
             then totals.last_entry_date else totals.last_scheduled_date end as forecast_end_date,
        projects.start_date as planned_start_date,
        projects.end_date as planned_end_date,
        cumulative.cumulative_actual_hours
            / nullif(totals.total_actual_hours + totals.total_remaining_hours, 0) as percent_complete,
        case
            when projects.start_date is null or projects.end_date is null then null
            when cumulative.month_end < projects.start_date then 0.0
            when cumulative.month_end >= projects.end_date then 1.0
            else (cumulative.month_end - projects.start_date + 1) * 1.0
                / (projects.end_date - projects.start_date + 1)
        end as planned_percent_complete,
        cumulative.month_start <= {{ period_start('month', 'as_of.as_of_date') }} as is_to_date
    from cumulative
    cross join as_of
    inner join totals
        on totals.project_id = cumulative.project_id
    left join projects
        on projects.project_id = cumulative.project_id

),

final as (

    select
        measured.*,
        measured.budget_amount * measured.percent_complete as earned_value,
        measured.budget_amount * measured.planned_percent_complete as planned_value
    from measured

)

select * from final
