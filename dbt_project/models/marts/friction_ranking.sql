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
-- journey on one measure contributes nothing to that gap. A loss within threshold_tolerance of
-- 0 is a rounding of the reference rate (recomputed, it can differ in its last digit), not a
-- loss. Each cell comes with the evaluator signal that falls furthest below its journey-map
-- threshold and its CSAT, in words a product manager can act on.

with

cells as (

    select * from {{ ref('int_friction_cells') }}

),

map_stages as (

    select * from {{ ref('stg_journey_map_stages') }}

),

scored as (

    select
        cells.*,
        {{ rate('cells.completed', 'cells.entered') }} as completion_rate,
        cells.entered * cells.reference_completion_rate - cells.completed as journeys_lost,
        cells.reference_avg_csat - cells.avg_csat as csat_gap,
        cells.journeys_with_csat * (cells.reference_avg_csat - cells.avg_csat) as csat_points_lost,
        map_stages.min_resolution,
        map_stages.min_quality,
        map_stages.min_context_retention,
        map_stages.journey_map_version,
        map_stages.min_context_retention - cells.avg_handoff_retention as retention_shortfall,
        map_stages.min_resolution - cells.resolution_rate as resolution_shortfall,
        map_stages.min_quality - cells.avg_quality as quality_shortfall

    from cells
    inner join map_stages
        on cells.journey_name = map_stages.journey_name
        and cells.stage = map_stages.stage
    where cells.entered >= {{ var('friction_min_journeys') }}

),

gap_totals as (

    -- The gaps to share out: what the rankable cells lose, over all journey names.
    select
        sum(case when {{ above('journeys_lost', 0) }} then journeys_lost else 0 end) as total_journeys_lost,
        sum(
            case when {{ above('csat_points_lost', 0) }} then csat_points_lost else 0 end
        ) as total_csat_points_lost

    from scored

),

shared as (

    select
        scored.*,
        coalesce(
            case when {{ above('scored.journeys_lost', 0) }} then scored.journeys_lost else 0 end
            / nullif(gap_totals.total_journeys_lost, 0),
            0
        ) as completion_gap_share,
        coalesce(
            case when {{ above('scored.csat_points_lost', 0) }} then scored.csat_points_lost else 0 end
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
            when
                {{ at_most('coalesce(retention_shortfall, 0)', 0) }}
                and {{ at_most('coalesce(resolution_shortfall, 0)', 0) }}
                and {{ at_most('coalesce(quality_shortfall, 0)', 0) }} then null
            when
                coalesce(retention_shortfall, 0) >= coalesce(resolution_shortfall, 0)
                and coalesce(retention_shortfall, 0) >= coalesce(quality_shortfall, 0)
                then 'context_retention'
            when coalesce(resolution_shortfall, 0) >= coalesce(quality_shortfall, 0) then 'resolution'
            else 'quality'
        end as explaining_signal

    from shared
    where {{ above('journeys_lost', 0) }}

),

final as (

    select
        row_number() over (
            order by
                friction_score desc,
                journeys_lost desc,
                journey_name asc,
                stage_order asc,
                cohort_week asc,
                channel asc
        ) as rank,
        row_number() over (
            partition by journey_name
            order by friction_score desc, journeys_lost desc, stage_order asc, cohort_week asc, channel asc
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
        {{ friction_explanation() }} as explanation,
        journey_map_version

    from explained

)

select * from final
