-- One row per journey and journey-map stage it entered: the funnel's unit. A journey completed
-- a stage when a conversation there ended with outcome `completed`, or when it reached a stage
-- that comes later in the journey map (the customer moved on, so the stage did its job).

with

conversations as (

    select * from {{ ref('int_journey_conversations') }}
    where stage_order is not null

),

furthest_stage as (

    select
        journey_id,
        max(stage_order) as furthest_stage_order

    from conversations
    group by journey_id

),

stage_rollup as (

    select
        journey_id,
        journey_name,
        cohort_week,
        segment,
        journey_map_version,
        stage,
        stage_order,
        stage_count,
        min(started_at) as entered_at,
        max(ended_or_started_at) as last_activity_at,
        count(*) as conversations,
        max(visit_number) as visits,
        coalesce({{ dbt.bool_or("outcome = 'completed'") }}, false) as completed_by_outcome,
        {{ dbt.bool_or('is_reentry') }} as reentered

    from conversations
    group by
        journey_id, journey_name, cohort_week, segment, journey_map_version, stage, stage_order, stage_count

),

entries as (

    -- The journey's first conversation at the stage: how it arrived, and whether the agent
    -- kept the context of the earlier stages (the hand-off retention verdict).
    select
        journey_id,
        stage,
        conversation_id as entry_conversation_id,
        channel as entry_channel,
        previous_stage as entry_from_stage,
        context_retention_score as entry_context_retention_score,
        context_retention_passed as entry_context_retention_passed,
        context_retention_status as entry_context_retention_status

    from conversations
    where stage_conversation_number = 1

),

final as (

    select
        stage_rollup.*,
        furthest_stage.furthest_stage_order > stage_rollup.stage_order as completed_by_progression,
        stage_rollup.completed_by_outcome
        or furthest_stage.furthest_stage_order > stage_rollup.stage_order as completed,
        entries.entry_conversation_id,
        entries.entry_channel,
        entries.entry_from_stage,
        entries.entry_context_retention_score,
        entries.entry_context_retention_passed,
        entries.entry_context_retention_status,
        -- Only an entry from another stage is a hand-off: at a journey's first stage the
        -- evaluator has no earlier stage and judges retention within the conversation.
        case
            when entries.entry_from_stage is not null then entries.entry_context_retention_score
        end as entry_handoff_retention_score

    from stage_rollup
    inner join furthest_stage
        on stage_rollup.journey_id = furthest_stage.journey_id
    inner join entries
        on stage_rollup.journey_id = entries.journey_id
        and stage_rollup.stage = entries.stage

)

select * from final
