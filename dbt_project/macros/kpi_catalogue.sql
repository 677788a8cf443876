{#- Every metric key of the KPI contract (docs/kpis.md), by family, in scorecard order.
    kpi_scorecard_monthly has one column per key; a test fails if kpi_metrics ever holds a
    key that is not listed here. -#}
{% macro kpi_catalogue() -%}
    {{ return({
        'service_desk': ['tickets_opened', 'tickets_resolved', 'backlog_open', 'backlog_aged_30d',
                         'first_response_time_mean_hours', 'first_response_time_median_hours',
                         'resolution_time_mean_hours', 'resolution_time_median_hours', 'resolution_time_p90_hours',
                         'resolution_time_business_mean_hours', 'sla_response_compliance_pct',
                         'sla_resolution_compliance_pct', 'sla_breaches', 'first_contact_resolution_pct',
                         'reopen_rate_pct', 'reassignment_rate_pct', 'cost_per_ticket'],
        'incidents': ['incidents_count', 'major_incidents_count', 'mtta_minutes', 'mttr_hours', 'mttr_median_hours',
                      'availability_pct', 'mtbf_hours', 'security_incidents_count', 'security_mttr_hours',
                      'change_success_rate_pct', 'change_failure_rate_pct'],
        'people': ['capacity_contracted_hours', 'capacity_effective_hours', 'hours_total', 'hours_billable',
                   'utilization_pct', 'billable_utilization_pct', 'overtime_hours', 'overallocated_people',
                   'bench_hours'],
        'forecast': ['forecast_capacity_hours', 'forecast_scheduled_confirmed_hours',
                     'forecast_scheduled_tentative_hours', 'forecast_gap_hours'],
        'projects': ['budget_amount', 'actual_cost', 'forecast_cost_at_completion', 'budget_variance',
                     'budget_variance_pct', 'cost_performance_index', 'schedule_performance_index',
                     'projects_on_time_pct', 'projects_on_budget_pct', 'hours_share_strategic_pct',
                     'hours_share_ktlo_pct', 'hours_share_support_pct'],
        'satisfaction': ['csat_pct', 'csat_avg_score', 'csat_response_rate_pct', 'nps'],
    }) }}
{%- endmacro %}

{% macro kpi_metric_keys() -%}
    {%- set keys = [] -%}
    {%- for family, metrics in kpi_catalogue().items() -%}
        {%- do keys.extend(metrics) -%}
    {%- endfor -%}
    {{ return(keys) }}
{%- endmacro %}
