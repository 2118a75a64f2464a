with

journeys as (

    select * from {{ ref('int_journeys') }}

),

paths as (

    select * from {{ ref('int_journey_paths') }}

),

csat as (

    select * from {{ ref('int_journey_csat') }}

),

final as (

    select
        journeys.journey_id,
        journeys.customer_id,
        journeys.journey_name,
        journeys.cohort_week,
        journeys.segment,
        journeys.started_at,
        journeys.last_activity_at,
        journeys.conversations,
        paths.last_stage_reached,
        paths.last_stage_order,
        paths.completed_all_stages,
        paths.stages_visited,
        paths.stages_reentered,
        paths.channel_sequence,
        paths.stage_path,
        csat.csat,
        csat.csat_recorded_at,
        coalesce(csat.csat_responses, 0) as csat_responses

    from journeys
    inner join paths
        on journeys.journey_id = paths.journey_id
    left join csat
        on journeys.journey_id = csat.journey_id

)

select * from final
