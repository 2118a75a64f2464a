-- One row per move of a journey from one stage to another (consecutive conversations at
-- different stages). The landing conversation's context-retention verdict measures the
-- hand-off when it is the journey's first conversation at the new stage.

with

conversations as (

    select * from {{ ref('int_journey_conversations') }}

),

transitions as (

    select
        conversation_id,
        journey_id,
        journey_name,
        cohort_week,
        segment,
        journey_map_version,
        previous_stage as from_stage,
        stage as to_stage,
        previous_stage_order as from_stage_order,
        stage_order as to_stage_order,
        previous_channel as from_channel,
        channel as to_channel,
        started_at,
        stage_conversation_number = 1 as is_first_entry,
        context_retention_score,
        context_retention_passed,
        context_retention_status,
        partition_date

    from conversations
    where
        previous_stage is not null
        and previous_stage <> stage

)

select * from transitions
