-- The days the closed-loop marts look at, as one row: they end on as_of_date (var, inclusive),
-- by default the latest partition in the data, so a backfill of old days gives the signals
-- those days would have given. Windows are half-open [start, end) dates.

{%- set as_of_var = iso_date_var('as_of_date') %}
{#- in Jinja, not in the select list: sqlfluff's LT09 fix crashes on a branch inside a select target -#}
{%- set as_of_date = 'latest_partition_date' if as_of_var is none
    else "cast('" ~ as_of_var.isoformat() ~ "' as date)" %}

with

latest_partition as (

    select max(partition_date) as latest_partition_date
    from {{ ref('stg_conversations') }}
    where is_rollup_eligible

),

as_of as (

    select {{ as_of_date }} as as_of_date
    from latest_partition

),

final as (

    select
        as_of_date,
        cast({{ dbt.dateadd('day', 1 - var('routing_window_days'), 'as_of_date') }} as date)
            as routing_window_start,
        cast({{ dbt.dateadd('day', 1, 'as_of_date') }} as date) as window_end,
        cast({{ dbt.dateadd('day', 1 - 2 * var('guard_window_days'), 'as_of_date') }} as date)
            as guard_previous_start,
        cast({{ dbt.dateadd('day', 1 - var('guard_window_days'), 'as_of_date') }} as date)
            as guard_recent_start

    from as_of

)

select * from final
