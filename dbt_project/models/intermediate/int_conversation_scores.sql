{{ config(**daily_partitioned_config()) }}

with

evaluations as (

    select * from {{ ref('stg_evaluations') }}
    where {{ in_partition_window('partition_date') }}

),

pivoted as (

    select
        conversation_id,
        partition_date,

        {% for prefix, evaluator in evaluators().items() %}
            max(case when evaluator = '{{ evaluator }}' then score end) as {{ prefix }}_score,
            {{ dbt.bool_or("case when evaluator = '" ~ evaluator ~ "' then passed end") }}
                as {{ prefix }}_passed,
            max(case when evaluator = '{{ evaluator }}' then status end) as {{ prefix }}_status,
            max(case when evaluator = '{{ evaluator }}' then reason end) as {{ prefix }}_reason,
            max(case when evaluator = '{{ evaluator }}' then evidence end) as {{ prefix }}_evidence,
        {% endfor %}

        {{ dbt.bool_or('is_judged') }} as is_judged,
        {{ dbt.bool_or('is_failed_verdict') }} as failed_any_evaluator

    from evaluations
    group by conversation_id, partition_date

)

select * from pivoted
