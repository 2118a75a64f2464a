-- Where journeys are lost. A cell is a journey-map stage, a cohort week and the channel the
-- journeys entered the stage on. Its journeys_lost is how many more of its journeys failed to
-- complete the stage than the journey's typical stage would lose:
--     journeys_lost = entered * reference_completion_rate - completed
-- where reference_completion_rate pools every stage entry of the journey name, and its
-- csat_points_lost how far its journeys' CSAT falls short of the journey name's mean:
--     csat_points_lost = journeys_with_csat * (reference_avg_csat - avg_csat)
-- Cells that lose journeys are ranked by their contribution to both gaps, equally weighted:
--     friction_score = (completion_gap_share + csat_gap_share) / 2
-- each share being the cell's positive part of the gap over the sum of the positive parts of
-- every rankable cell (friction_min_journeys journeys), so a cell that does better than the
-- journey on one measure contributes nothing to that gap. Each cell comes with the evaluator
-- signal that falls furthest below its journey-map threshold and its CSAT, in words a product
-- manager can act on.

with

journey_stages as (

    select * from {{ ref('int_journey_stages') }}

),

conversations as (

    select * from {{ ref('int_journey_conversations') }}
    where stage_order is not null

),

map_stages as (

    select * from {{ ref('stg_journey_map_stages') }}

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
        and earlier.stage_order < later.stage_order
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
    group by 1, 2, 3, 4, 5

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
    group by 1, 2, 3, 4, 5

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
    group by 1, 2, 3, 4

),

scored as (

    select
        cells.*,
        {{ rate('cells.completed', 'cells.entered') }} as completion_rate,
        reference.reference_completion_rate,
        earlier_stages.earlier_stages_completion_rate,
        cells.entered * reference.reference_completion_rate - cells.completed as journeys_lost,
        reference_csat.reference_avg_csat,
        reference_csat.reference_avg_csat - cells.avg_csat as csat_gap,
        cells.journeys_with_csat * (reference_csat.reference_avg_csat - cells.avg_csat) as csat_points_lost,
        cell_verdicts.resolution_rate,
        cell_verdicts.avg_quality,
        handoff_sources.handoff_from_stage,
        map_stages.min_resolution,
        map_stages.min_quality,
        map_stages.min_context_retention,
        map_stages.journey_map_version,
        map_stages.min_context_retention - cells.avg_handoff_retention as retention_shortfall,
        map_stages.min_resolution - cell_verdicts.resolution_rate as resolution_shortfall,
        map_stages.min_quality - cell_verdicts.avg_quality as quality_shortfall

    from cells
    inner join reference
        on cells.journey_name = reference.journey_name
    inner join map_stages
        on cells.journey_name = map_stages.journey_name
        and cells.stage = map_stages.stage
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
    where cells.entered >= {{ var('friction_min_journeys') }}

),

gap_totals as (

    -- The gaps to share out: what the rankable cells lose, over all journey names.
    select
        sum(case when journeys_lost > 0 then journeys_lost else 0 end) as total_journeys_lost,
        sum(case when csat_points_lost > 0 then csat_points_lost else 0 end) as total_csat_points_lost

    from scored

),

shared as (

    select
        scored.*,
        coalesce(
            case when scored.journeys_lost > 0 then scored.journeys_lost else 0 end
                / nullif(gap_totals.total_journeys_lost, 0),
            0
        ) as completion_gap_share,
        coalesce(
            case when scored.csat_points_lost > 0 then scored.csat_points_lost else 0 end
                / nullif(gap_totals.total_csat_points_lost, 0),
            0
        ) as csat_gap_share

    from scored
    cross join gap_totals

),

explained as (

    select
        *,
        (completion_gap_share + csat_gap_share) / 2 as friction_score,
        -- The evaluator that falls furthest below its threshold explains the cell.
        case
            when coalesce(retention_shortfall, 0) <= 0
                and coalesce(resolution_shortfall, 0) <= 0
                and coalesce(quality_shortfall, 0) <= 0 then null
            when coalesce(retention_shortfall, 0) >= coalesce(resolution_shortfall, 0)
                and coalesce(retention_shortfall, 0) >= coalesce(quality_shortfall, 0) then 'context_retention'
            when coalesce(resolution_shortfall, 0) >= coalesce(quality_shortfall, 0) then 'resolution'
            else 'quality'
        end as explaining_signal

    from shared
    where journeys_lost > 0

),

final as (

    select
        row_number() over (
            order by friction_score desc, journeys_lost desc, journey_name, stage_order, cohort_week, channel
        ) as rank,
        row_number() over (
            partition by journey_name
            order by friction_score desc, journeys_lost desc, stage_order, cohort_week, channel
        ) as journey_rank,
        journey_name,
        stage,
        stage_order,
        cohort_week,
        channel,
        entered,
        completed,
        completion_rate,
        reference_completion_rate,
        earlier_stages_completion_rate,
        journeys_lost,
        journeys_with_csat,
        avg_csat,
        reference_avg_csat,
        csat_gap,
        csat_points_lost,
        completion_gap_share,
        csat_gap_share,
        friction_score,
        resolution_rate,
        min_resolution,
        avg_quality,
        min_quality,
        handoff_from_stage,
        avg_handoff_retention,
        min_context_retention,
        explaining_signal,
        {{ dbt.concat([
            "stage", "' over '", "channel", "' for cohort '", "cohort_week", "' completes '",
            percent_text('completion_rate'),
            "case when earlier_stages_completion_rate is null then "
                ~ dbt.concat(["' vs '", percent_text('reference_completion_rate'), text_literal(" across the journey's stages")])
                ~ " else "
                ~ dbt.concat(["' vs '", percent_text('earlier_stages_completion_rate'), "' at earlier stages'"])
                ~ " end",
            "case when journeys_with_csat > 0 then "
                ~ dbt.concat([
                    "' and its '", integer_text('journeys_with_csat'), "' journeys with a CSAT average '",
                    decimal_text('avg_csat'), "' vs '", decimal_text('reference_avg_csat'),
                    "' for the journey overall'",
                ])
                ~ " else '' end",
            "'; '",
            "case explaining_signal"
                ~ " when 'context_retention' then "
                ~ dbt.concat([
                    "'context retention on the hand-off from '", "handoff_from_stage",
                    "' is '", decimal_text('avg_handoff_retention'),
                    "' (threshold '", decimal_text('min_context_retention'), "')'",
                ])
                ~ " when 'resolution' then "
                ~ dbt.concat([
                    "'the resolution evaluator passes '", percent_text('resolution_rate'),
                    "' of its conversations (threshold '", percent_text('min_resolution'), "')'",
                ])
                ~ " when 'quality' then "
                ~ dbt.concat([
                    "'conversation quality averages '", decimal_text('avg_quality'),
                    "' (threshold '", decimal_text('min_quality'), "')'",
                ])
                ~ " else 'no evaluator score falls below its threshold: read the abandoned and escalated conversations'"
                ~ " end",
        ]) }} as explanation,
        journey_map_version

    from explained

)

select * from final
