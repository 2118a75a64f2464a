-- The cells friction_ranking ranks: a journey-map stage, a cohort week and the channel the
-- journeys entered the stage on, with what happened to their journeys (completion, CSAT,
-- hand-off retention, the evaluators' verdicts) and the baselines they are compared with: the
-- journey name's completion over every stage entry and mean CSAT, and the cohort's completion
-- over the stages before this one.

with

journey_stages as (

    select * from {{ ref('int_journey_stages') }}

),

conversations as (

    select * from {{ ref('int_journey_conversations') }}
    where stage_order is not null

),

journeys as (

    select * from {{ ref('journeys') }}

),

reference as (

    select
        journey_stages.journey_name,
        {{ rate('sum(case when journey_stages.completed then 1 else 0 end)', 'count(*)') }}
            as reference_completion_rate

    from journey_stages
    group by journey_stages.journey_name

),

reference_csat as (

    select
        journey_name,
        avg(csat) as reference_avg_csat

    from journeys
    where csat is not null
    group by journey_name

),

cohort_stages as (

    select
        journey_name,
        cohort_week,
        stage_order,
        count(*) as entered,
        sum(case when completed then 1 else 0 end) as completed

    from journey_stages
    group by
        journey_name,
        cohort_week,
        stage_order

),

earlier_stages as (

    -- The cohort's completion over the stages before this one, all channels pooled.
    select
        later.journey_name,
        later.cohort_week,
        later.stage_order,
        {{ rate('sum(earlier.completed)', 'sum(earlier.entered)') }} as earlier_stages_completion_rate

    from cohort_stages as later
    inner join cohort_stages as earlier
        on later.journey_name = earlier.journey_name
        and later.cohort_week = earlier.cohort_week
        and later.stage_order > earlier.stage_order
    group by
        later.journey_name,
        later.cohort_week,
        later.stage_order

),

cells as (

    select
        journey_stages.journey_name,
        journey_stages.stage,
        journey_stages.stage_order,
        journey_stages.cohort_week,
        journey_stages.entry_channel as channel,
        count(*) as entered,
        sum(case when journey_stages.completed then 1 else 0 end) as completed,
        count(journeys.csat) as journeys_with_csat,
        avg(journeys.csat) as avg_csat,
        avg(journey_stages.entry_handoff_retention_score) as avg_handoff_retention

    from journey_stages
    inner join journeys
        on journey_stages.journey_id = journeys.journey_id
    group by
        journey_stages.journey_name,
        journey_stages.stage,
        journey_stages.stage_order,
        journey_stages.cohort_week,
        journey_stages.entry_channel

),

handoff_sources as (

    -- The stage most of the cell's journeys arrived from, to name the hand-off.
    select
        journey_name,
        stage,
        cohort_week,
        entry_channel as channel,
        entry_from_stage as handoff_from_stage,
        row_number() over (
            partition by journey_name, stage, cohort_week, entry_channel
            order by count(*) desc, entry_from_stage
        ) as source_rank

    from journey_stages
    where entry_from_stage is not null
    group by journey_name, stage, cohort_week, entry_channel, entry_from_stage

),

cell_verdicts as (

    select
        journey_stages.journey_name,
        journey_stages.stage,
        journey_stages.cohort_week,
        journey_stages.entry_channel as channel,
        {{ judged_pass_rate('conversations.resolution') }} as resolution_rate,
        avg(conversations.quality_score) as avg_quality

    from journey_stages
    inner join conversations
        on journey_stages.journey_id = conversations.journey_id
        and journey_stages.stage = conversations.stage
    group by
        journey_stages.journey_name,
        journey_stages.stage,
        journey_stages.cohort_week,
        journey_stages.entry_channel

),

final as (

    select
        cells.*,
        reference.reference_completion_rate,
        earlier_stages.earlier_stages_completion_rate,
        reference_csat.reference_avg_csat,
        cell_verdicts.resolution_rate,
        cell_verdicts.avg_quality,
        handoff_sources.handoff_from_stage

    from cells
    inner join reference
        on cells.journey_name = reference.journey_name
    left join reference_csat
        on cells.journey_name = reference_csat.journey_name
    left join earlier_stages
        on cells.journey_name = earlier_stages.journey_name
        and cells.cohort_week = earlier_stages.cohort_week
        and cells.stage_order = earlier_stages.stage_order
    left join cell_verdicts
        on cells.journey_name = cell_verdicts.journey_name
        and cells.stage = cell_verdicts.stage
        and cells.cohort_week = cell_verdicts.cohort_week
        and cells.channel = cell_verdicts.channel
    left join handoff_sources
        on cells.journey_name = handoff_sources.journey_name
        and cells.stage = handoff_sources.stage
        and cells.cohort_week = handoff_sources.cohort_week
        and cells.channel = handoff_sources.channel
        and handoff_sources.source_rank = 1

)

select * from final
