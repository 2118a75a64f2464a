-- The recent evaluator signal (the last routing_window_days days up to as_of_date) aggregated
-- per routing cell: a journey stage and one cohort week (the whole cohort or one of its
-- segments), one channel with every cohort of the window pooled, or the whole stage (every
-- cohort and channel pooled, only to tell a channel's problem from the stage's). A channel is
-- not split by cohort: routing applies a channel's problem to every customer on it, and a 7-day
-- window straddles two or three cohort weeks, so splitting would divide its evidence.

with

signal_window as (

    select * from {{ ref('int_signal_window') }}

),

recent_conversations as (

    select conversations.*
    from {{ ref('int_journey_conversations') }} as conversations
    inner join signal_window
        on conversations.partition_date >= signal_window.routing_window_start
        and conversations.partition_date < signal_window.window_end
    where conversations.stage_order is not null

),

recent_handoffs as (

    -- The hand-offs that bring a journey to a stage for the first time: their landing
    -- conversation is judged for context retention against the journey's earlier stages.
    select transitions.*
    from {{ ref('int_stage_transitions') }} as transitions
    inner join signal_window
        on transitions.partition_date >= signal_window.routing_window_start
        and transitions.partition_date < signal_window.window_end
    where
        transitions.is_first_entry
        and transitions.to_stage_order is not null

),

observations as (

    -- One judged observation per row: a resolution verdict (1 passed, 0 not) or a hand-off's
    -- retention score, so both metrics aggregate the same way below.
    select
        journey_name,
        stage,
        cohort_week,
        segment,
        channel,
        'resolution_rate' as metric,
        case when resolution_passed then 1.0 else 0.0 end as observed

    from recent_conversations
    where resolution_status = 'completed'

    union all

    select
        journey_name,
        to_stage as stage,
        cohort_week,
        segment,
        to_channel as channel,
        'context_retention' as metric,
        context_retention_score as observed

    from recent_handoffs
    where
        context_retention_status = 'completed'
        and context_retention_score is not null

),

cell_levels as (

    select 'cohort' as cell_level
    union all
    select 'segment' as cell_level
    union all
    select 'channel' as cell_level
    union all
    select 'stage' as cell_level

),

cells as (

    select
        observations.journey_name,
        observations.stage,
        case
            when cell_levels.cell_level in ('cohort', 'segment') then observations.cohort_week
        end as cohort_week,
        observations.metric,
        cell_levels.cell_level,
        case when cell_levels.cell_level = 'segment' then observations.segment end as segment,
        case when cell_levels.cell_level = 'channel' then observations.channel end as channel,
        avg(observations.observed) as observed_value,
        count(*) as conversations

    from observations
    cross join cell_levels
    where
        cell_levels.cell_level <> 'segment'
        or observations.segment is not null
    group by 1, 2, 3, 4, 5, 6, 7

)

select * from cells
