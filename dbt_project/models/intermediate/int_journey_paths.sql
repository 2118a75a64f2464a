-- One row per journey: the path it took through channels and stages, and how far it got.

with

conversations as (

    select
        journey_id,
        journey_conversation_number,
        channel,
        stage,
        lag(channel) over (partition by journey_id order by journey_conversation_number) as previous_channel,
        lag(stage) over (partition by journey_id order by journey_conversation_number) as previous_stage

    from {{ ref('int_journey_conversations') }}

),

journey_stages as (

    select * from {{ ref('int_journey_stages') }}

),

channel_sequences as (

    -- Consecutive conversations on the same channel collapse into one step: chat, chat, voice,
    -- chat reads `chat > voice > chat`.
    select
        journey_id,
        {{ ordered_listagg('channel', "' > '", 'journey_conversation_number') }} as channel_sequence,
        count(*) as channel_steps

    from conversations
    where
        previous_channel is null
        or previous_channel <> channel
    group by journey_id

),

stage_paths as (

    select
        journey_id,
        {{ ordered_listagg('stage', "' > '", 'journey_conversation_number') }} as stage_path

    from conversations
    where
        previous_stage is null
        or previous_stage <> stage
    group by journey_id

),

progress as (

    select
        journey_id,
        count(*) as stages_visited,
        max(stage_order) as last_stage_order,
        sum(case when reentered then 1 else 0 end) as stages_reentered,
        coalesce({{ dbt.bool_or('completed and stage_order = stage_count') }}, false) as completed_all_stages

    from journey_stages
    group by journey_id

),

last_stages as (

    select
        journey_stages.journey_id,
        journey_stages.stage as last_stage_reached

    from journey_stages
    inner join progress
        on journey_stages.journey_id = progress.journey_id
        and journey_stages.stage_order = progress.last_stage_order

),

final as (

    select
        channel_sequences.journey_id,
        channel_sequences.channel_sequence,
        channel_sequences.channel_steps,
        stage_paths.stage_path,
        last_stages.last_stage_reached,
        progress.last_stage_order,
        coalesce(progress.stages_visited, 0) as stages_visited,
        coalesce(progress.stages_reentered, 0) as stages_reentered,
        coalesce(progress.completed_all_stages, false) as completed_all_stages

    from channel_sequences
    inner join stage_paths
        on channel_sequences.journey_id = stage_paths.journey_id
    left join progress
        on channel_sequences.journey_id = progress.journey_id
    left join last_stages
        on channel_sequences.journey_id = last_stages.journey_id

)

select * from final
