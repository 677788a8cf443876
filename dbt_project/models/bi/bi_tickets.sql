{#- Tickets from every ITSM source with team and service names and local dates: the stable
    name over bi.tickets_stored (sorted for period filters). -#}
{{ config(materialized='view', schema='bi', alias='tickets') }}

select * from {{ bi_ref('bi_tickets_stored') }}
