{{ config(severity='warn') }}
{#- Where a source computes its own SLA with the same target as ours, the verdicts should
    agree on at least 95% of the tickets (differences come from pause conditions or
    schedules configured differently at the source; see int_ticket_sla_reconciliation). -#}
select
    count(*) as comparable_pairs,
    sum(case when verdicts_match then 0 else 1 end) as disagreements
from {{ ref('int_ticket_sla_reconciliation') }}
where is_comparable
having count(*) > 0
    and sum(case when verdicts_match then 0 else 1 end) > 0.05 * count(*)
