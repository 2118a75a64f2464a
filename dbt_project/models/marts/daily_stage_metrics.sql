{{ config(**daily_partitioned_config()) }}

-- Per day (the UTC date the conversation started), journey, stage and channel: volumes and
-- evaluator means for the trend charts.

with

conversations as (

    select * from {{ ref('conversation_evaluations') }}
    where {{ in_partition_window('partition_date') }}

),

final as (

    select
        partition_date as date,
        journey_name,
        stage,
        channel,
        count(*) as conversations,
        sum(case when outcome = 'completed' then 1 else 0 end) as completed_outcomes,
        sum(case when outcome = 'escalated' then 1 else 0 end) as escalated_outcomes,
        sum(case when outcome = 'abandoned' then 1 else 0 end) as abandoned_outcomes,
        sum(case when agent_type = 'human' then 1 else 0 end) as human_conversations,
        {{ judged_pass_rate('resolution') }} as resolution_rate,
        avg(resolution_score) as avg_resolution,
        avg(quality_score) as avg_quality,
        avg(context_retention_score) as avg_context_retention,
        {{ eval_fail_rate() }} as eval_fail_rate,
        partition_date

    from conversations
    group by
        partition_date,
        journey_name,
        stage,
        channel

)

select * from final
