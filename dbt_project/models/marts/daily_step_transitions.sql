{{ config(**daily_partitioned_config()) }}

-- Moves between consecutive (stage, channel) steps of a journey, per day of the later
-- conversation: the observed paths the dashboard draws, without ordering every conversation of
-- the history on each page view. A conversation on the same stage and channel as the previous
-- one is no move. The previous conversation may be from any earlier day, so the window's
-- journeys are read whole; its day (from_date) and segment (from_segment) are kept so that a
-- date or segment filter counts only the moves whose both ends it keeps.

with

window_journeys as (

    select distinct journey_id
    from {{ ref('conversation_evaluations') }}
    where {{ in_partition_window('partition_date') }}

),

journey_conversations as (

    select
        conversations.conversation_id,
        conversations.journey_id,
        conversations.journey_name,
        conversations.cohort_week,
        conversations.segment,
        conversations.stage,
        conversations.channel,
        conversations.started_at,
        conversations.partition_date

    from {{ ref('conversation_evaluations') }} as conversations
    inner join window_journeys
        on conversations.journey_id = window_journeys.journey_id

),

steps as (

    select
        journey_name,
        cohort_week,
        segment,
        stage,
        channel,
        partition_date,
        lag(stage) over journey_order as from_stage,
        lag(channel) over journey_order as from_channel,
        lag(segment) over journey_order as from_segment,
        lag(partition_date) over journey_order as from_date

    from journey_conversations
    window journey_order as (partition by journey_id order by started_at, conversation_id)

),

final as (

    select
        journey_name,
        cohort_week,
        segment,
        from_segment,
        from_stage,
        from_channel,
        stage as to_stage,
        channel as to_channel,
        from_date,
        count(*) as moves,
        partition_date

    from steps
    where
        {{ in_partition_window('partition_date') }}
        and from_stage is not null
        and (from_stage != stage or from_channel != channel)
    group by
        journey_name,
        cohort_week,
        segment,
        from_segment,
        from_stage,
        from_channel,
        stage,
        channel,
        from_date,
        partition_date

)

select * from final
