-- What the journeys do that the journey map does not declare: moves that skip stages or go
-- back, stages and channels the map does not list for the journey, and journeys it does not
-- know. A map that never learns from these is a slide, not a management discipline.

with

conversations as (

    select * from {{ ref('int_journey_conversations') }}

),

transitions as (

    select * from {{ ref('int_stage_transitions') }}

),

map_stages as (

    select * from {{ ref('stg_journey_map_stages') }}

),

map_channels as (

    select * from {{ ref('stg_journey_map_channels') }}

),

map_journeys as (

    select distinct
        journey_name,
        journey_map_version

    from map_stages

),

journey_totals as (

    select
        journey_name,
        count(distinct journey_id) as journeys_of_name

    from conversations
    group by journey_name

),

drift_observations as (

    -- One row per observation, whatever its kind: a move (transition) or a conversation.
    select
        journey_name,
        case
            when to_stage_order < from_stage_order then 'backward_transition'
            else 'skipped_stages'
        end as drift_type,
        {{ dbt.concat(['from_stage', "' > '", 'to_stage']) }} as observed,
        from_stage,
        to_stage,
        cast(null as {{ dbt.type_string() }}) as channel,
        journey_id,
        started_at

    from transitions
    -- Moves from or to an undeclared stage are counted under undeclared_stage below.
    where
        from_stage_order is not null
        and to_stage_order is not null
        and to_stage_order <> from_stage_order + 1

    union all

    select
        conversations.journey_name,
        case
            when map_journeys.journey_name is null then 'undeclared_journey'
            else 'undeclared_stage'
        end as drift_type,
        case
            when map_journeys.journey_name is null then conversations.journey_name
            else conversations.stage
        end as observed,
        cast(null as {{ dbt.type_string() }}) as from_stage,
        case when map_journeys.journey_name is not null then conversations.stage end as to_stage,
        cast(null as {{ dbt.type_string() }}) as channel,
        conversations.journey_id,
        conversations.started_at

    from conversations
    left join map_journeys
        on conversations.journey_name = map_journeys.journey_name
    where conversations.stage_order is null

    union all

    select
        conversations.journey_name,
        'undeclared_channel' as drift_type,
        conversations.channel as observed,
        cast(null as {{ dbt.type_string() }}) as from_stage,
        cast(null as {{ dbt.type_string() }}) as to_stage,
        conversations.channel,
        conversations.journey_id,
        conversations.started_at

    from conversations
    inner join map_journeys
        on conversations.journey_name = map_journeys.journey_name
    left join map_channels
        on conversations.journey_name = map_channels.journey_name
        and conversations.channel = map_channels.channel
    where map_channels.channel is null

),

drift as (

    select
        journey_name,
        drift_type,
        observed,
        from_stage,
        to_stage,
        channel,
        count(*) as observations,
        count(distinct journey_id) as journeys,
        min(started_at) as first_seen_at,
        max(started_at) as last_seen_at

    from drift_observations
    group by journey_name, drift_type, observed, from_stage, to_stage, channel

),

final as (

    select
        drift.journey_name,
        drift.drift_type,
        drift.observed,
        drift.from_stage,
        drift.to_stage,
        drift.channel,
        drift.observations,
        drift.journeys,
        {{ rate('drift.journeys', 'journey_totals.journeys_of_name') }} as share_of_journeys,
        drift.first_seen_at,
        drift.last_seen_at,
        case drift.drift_type
            when 'skipped_stages' then {{ dbt.concat([
                integer_text('drift.observations'), "' moves go from '", 'drift.from_stage', "' straight to '",
                'drift.to_stage', "', skipping stages of the map'",
            ]) }}
            when 'backward_transition' then {{ dbt.concat([
                integer_text('drift.observations'), "' moves go back from '", 'drift.from_stage', "' to '",
                'drift.to_stage',
            ]) }}
            when 'undeclared_stage' then {{ dbt.concat([
                integer_text('drift.observations'), "' conversations at stage '", 'drift.observed',
                "', which the map does not declare for '", 'drift.journey_name',
            ]) }}
            when 'undeclared_channel' then {{ dbt.concat([
                integer_text('drift.observations'), "' conversations on '", 'drift.observed',
                "', which the map does not allow for '", 'drift.journey_name',
            ]) }}
            else {{ dbt.concat([
                integer_text('drift.observations'), "' conversations of journey '", 'drift.observed',
                "', which the map does not declare'",
            ]) }}
        end as description,
        map_journeys.journey_map_version

    from drift
    inner join journey_totals
        on drift.journey_name = journey_totals.journey_name
    left join map_journeys
        on drift.journey_name = map_journeys.journey_name

)

select * from final
