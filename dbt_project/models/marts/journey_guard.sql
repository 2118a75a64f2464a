-- A change that lifts one stage but hurts the next is net-negative for the journey. Per stage,
-- the journeys that entered it in the last guard_window_days days (up to as_of_date) are
-- compared with those that entered it in the guard_window_days before: completion rate and
-- hand-off retention into the stage. A stage that improved by at least guard_min_change while
-- the next stage's completion or retention fell by at least as much is flagged.

with

signal_window as (

    select * from {{ ref('int_signal_window') }}

),

journey_stages as (

    select * from {{ ref('int_journey_stages') }}

),

map_stages as (

    select * from {{ ref('stg_journey_map_stages') }}

),

periods as (

    select
        journey_stages.journey_name,
        journey_stages.stage,
        journey_stages.completed,
        journey_stages.entry_handoff_retention_score,
        case
            when
                cast(journey_stages.entered_at as date) >= signal_window.guard_recent_start
                and cast(journey_stages.entered_at as date) < signal_window.window_end then 'recent'
            when
                cast(journey_stages.entered_at as date) >= signal_window.guard_previous_start
                and cast(journey_stages.entered_at as date) < signal_window.guard_recent_start then 'previous'
        end as period

    from journey_stages
    cross join signal_window

),

period_metrics as (

    select
        journey_name,
        stage,
        sum(case when period = 'recent' then 1 else 0 end) as recent_entered,
        sum(case when period = 'recent' and completed then 1 else 0 end) as recent_completed,
        avg(case when period = 'recent' then entry_handoff_retention_score end) as recent_context_retention,
        sum(case when period = 'previous' then 1 else 0 end) as previous_entered,
        sum(case when period = 'previous' and completed then 1 else 0 end) as previous_completed,
        avg(case when period = 'previous' then entry_handoff_retention_score end)
            as previous_context_retention

    from periods
    where period is not null
    group by
        journey_name,
        stage

),

stage_changes as (

    select
        map_stages.journey_name,
        map_stages.stage,
        map_stages.stage_order,
        map_stages.journey_map_version,
        coalesce(period_metrics.recent_entered, 0) as recent_entered,
        coalesce(period_metrics.previous_entered, 0) as previous_entered,
        {{ rate('period_metrics.recent_completed', 'period_metrics.recent_entered') }}
            as recent_completion_rate,
        {{ rate('period_metrics.previous_completed', 'period_metrics.previous_entered') }}
            as previous_completion_rate,
        period_metrics.recent_context_retention,
        period_metrics.previous_context_retention,
        -- Changes need enough journeys in both windows to mean anything.
        coalesce(
            period_metrics.recent_entered >= {{ var('guard_min_journeys') }}
            and period_metrics.previous_entered >= {{ var('guard_min_journeys') }},
            false
        ) as has_evidence

    from map_stages
    left join period_metrics
        on map_stages.journey_name = period_metrics.journey_name
        and map_stages.stage = period_metrics.stage

),

changes as (

    select
        *,
        case when has_evidence then recent_completion_rate - previous_completion_rate end
            as completion_change,
        case when has_evidence then recent_context_retention - previous_context_retention end
            as retention_change

    from stage_changes

),

paired as (

    select
        current_stage.*,
        next_stage.stage as next_stage,
        next_stage.completion_change as next_stage_completion_change,
        next_stage.retention_change as next_stage_retention_change,
        next_stage.previous_completion_rate as next_stage_previous_completion_rate,
        next_stage.recent_completion_rate as next_stage_recent_completion_rate,
        next_stage.previous_context_retention as next_stage_previous_context_retention,
        next_stage.recent_context_retention as next_stage_recent_context_retention,
        coalesce(
            {{ at_least('current_stage.completion_change', var('guard_min_change')) }}
            or {{ at_least('current_stage.retention_change', var('guard_min_change')) }},
            false
        ) as improved,
        coalesce(
            {{ at_most('next_stage.completion_change', -var('guard_min_change')) }}
            or {{ at_most('next_stage.retention_change', -var('guard_min_change')) }},
            false
        ) as next_stage_worsened

    from changes as current_stage
    left join changes as next_stage
        on current_stage.journey_name = next_stage.journey_name
        and next_stage.stage_order = current_stage.stage_order + 1

),

final as (

    select
        paired.journey_name,
        paired.stage,
        paired.stage_order,
        paired.next_stage,
        signal_window.guard_previous_start as previous_window_start,
        signal_window.guard_recent_start as recent_window_start,
        signal_window.window_end as recent_window_end,
        paired.previous_entered,
        paired.recent_entered,
        paired.previous_completion_rate,
        paired.recent_completion_rate,
        paired.completion_change,
        paired.previous_context_retention,
        paired.recent_context_retention,
        paired.retention_change,
        paired.next_stage_completion_change,
        paired.next_stage_retention_change,
        paired.improved,
        paired.next_stage_worsened,
        paired.improved and paired.next_stage_worsened as is_net_negative,
        case
            when paired.improved and paired.next_stage_worsened then {{ net_negative_explanation('paired') }}
        end as explanation,
        paired.journey_map_version,
        signal_window.as_of_date

    from paired
    cross join signal_window

)

select * from final
