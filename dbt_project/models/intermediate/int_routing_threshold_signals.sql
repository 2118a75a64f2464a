-- The routing cells whose resolution rate or hand-off retention falls below the journey map's
-- threshold, with routing_min_conversations judged observations: route_to_human_earlier or
-- add_context_bridge. A segment cell only gets a signal its cohort does not already get, a
-- channel cell only one the stage as a whole does not: so that a signal points at where the
-- problem is. The stage cell's own breach is told per cohort, never as a signal of its own.

with

cells as (

    select * from {{ ref('int_routing_cells') }}

),

map_stages as (

    select * from {{ ref('stg_journey_map_stages') }}

),

breaches as (

    select
        cells.*,
        case
            when cells.metric = 'resolution_rate' then 'route_to_human_earlier'
            else 'add_context_bridge'
        end as recommendation,
        case
            when cells.metric = 'resolution_rate' then map_stages.min_resolution
            else map_stages.min_context_retention
        end as threshold

    from cells
    inner join map_stages
        on cells.journey_name = map_stages.journey_name
        and cells.stage = map_stages.stage
    where
        cells.conversations >= {{ var('routing_min_conversations') }}
        and {{ below('cells.observed_value', "case
            when cells.metric = 'resolution_rate' then map_stages.min_resolution
            else map_stages.min_context_retention
        end") }}

),

threshold_signals as (

    -- A segment's breach its cohort shares, or a channel's breach the whole stage shares, is
    -- the wider cell's problem: only the wider cell's signal is kept.
    select breaches.*
    from breaches
    left join breaches as wider_breaches
        on breaches.journey_name = wider_breaches.journey_name
        and breaches.stage = wider_breaches.stage
        and breaches.recommendation = wider_breaches.recommendation
        and (
            (
                breaches.cell_level = 'segment'
                and wider_breaches.cell_level = 'cohort'
                and breaches.cohort_week = wider_breaches.cohort_week
            )
            or (breaches.cell_level = 'channel' and wider_breaches.cell_level = 'stage')
        )
    where
        breaches.cell_level <> 'stage'
        and wider_breaches.journey_name is null

)

select * from threshold_signals
