-- Every stage of the journey map for every cohort that started the journey, so a stage nobody
-- reached shows as entered 0 (with null rates) instead of disappearing from the funnel.

with

map_stages as (

    select * from {{ ref('stg_journey_map_stages') }}

),

journeys as (

    select * from {{ ref('int_journeys') }}

),

journey_stages as (

    select * from {{ ref('int_journey_stages') }}

),

conversations as (

    select * from {{ ref('int_journey_conversations') }}
    where stage_order is not null

),

csat as (

    select * from {{ ref('int_journey_csat') }}

),

cohorts as (

    select distinct
        journey_name,
        cohort_week

    from journeys

),

grid as (

    select
        map_stages.journey_name,
        map_stages.stage,
        cohorts.cohort_week,
        map_stages.stage_order,
        map_stages.stage_count,
        map_stages.min_resolution,
        map_stages.min_quality,
        map_stages.min_context_retention,
        map_stages.min_completion_rate,
        map_stages.journey_map_version

    from map_stages
    inner join cohorts
        on map_stages.journey_name = cohorts.journey_name

),

journey_metrics as (

    select
        journey_stages.journey_name,
        journey_stages.stage,
        journey_stages.cohort_week,
        count(*) as entered,
        sum(case when journey_stages.completed then 1 else 0 end) as completed,
        sum(case when journey_stages.reentered then 1 else 0 end) as reentered,
        avg(journey_stages.entry_context_retention_score) as avg_context_retention,
        count(csat.csat) as journeys_with_csat,
        avg(csat.csat) as avg_csat

    from journey_stages
    left join csat
        on journey_stages.journey_id = csat.journey_id
    group by
        journey_stages.journey_name,
        journey_stages.stage,
        journey_stages.cohort_week

),

conversation_metrics as (

    select
        journey_name,
        stage,
        cohort_week,
        count(*) as conversations,
        avg(resolution_score) as avg_resolution,
        {{ judged_pass_rate('resolution') }} as resolution_rate,
        avg(quality_score) as avg_quality,
        {{ eval_fail_rate() }} as eval_fail_rate

    from conversations
    group by
        journey_name,
        stage,
        cohort_week

),

final as (

    select
        grid.journey_name,
        grid.stage,
        grid.cohort_week,
        grid.stage_order,
        grid.stage_count,
        coalesce(journey_metrics.entered, 0) as entered,
        coalesce(journey_metrics.completed, 0) as completed,
        {{ rate('journey_metrics.completed', 'journey_metrics.entered') }} as completion_rate,
        coalesce(journey_metrics.reentered, 0) as reentered,
        {{ rate('journey_metrics.reentered', 'journey_metrics.entered') }} as reentry_rate,
        coalesce(conversation_metrics.conversations, 0) as conversations,
        conversation_metrics.avg_resolution,
        conversation_metrics.resolution_rate,
        conversation_metrics.avg_quality,
        journey_metrics.avg_context_retention,
        conversation_metrics.eval_fail_rate,
        coalesce(journey_metrics.journeys_with_csat, 0) as journeys_with_csat,
        journey_metrics.avg_csat,
        grid.min_resolution,
        grid.min_quality,
        grid.min_context_retention,
        grid.min_completion_rate,
        grid.journey_map_version

    from grid
    left join journey_metrics
        on grid.journey_name = journey_metrics.journey_name
        and grid.stage = journey_metrics.stage
        and grid.cohort_week = journey_metrics.cohort_week
    left join conversation_metrics
        on grid.journey_name = conversation_metrics.journey_name
        and grid.stage = conversation_metrics.stage
        and grid.cohort_week = conversation_metrics.cohort_week

)

select * from final
