{{ config(**daily_partitioned_config()) }}

with

source as (

    select * from {{ source('raw', 'evaluations') }}
    where {{ in_partition_window('partition_date') }}

),

renamed as (

    select
        conversation_id,
        evaluator,
        score,
        passed,
        status,
        reason,
        cast(evidence as {{ dbt.type_string() }}) as evidence,
        engine,
        rubric_version,
        latency_ms,
        -- A conversation fails an evaluator only when the evaluator judged it (status completed)
        -- and did not pass it; an evaluator error or "not applicable" is no verdict on the agent.
        status = 'completed' and passed = false as is_failed_verdict,
        status = 'completed' as is_judged,
        evaluated_at,
        partition_date

    from source

)

select * from renamed
