-- Recommendations for the orchestrator that routes customers, read from the recent evaluator
-- signal: the last routing_window_days days up to as_of_date (int_signal_window).
--
-- A cell is a journey stage and either one cohort week (the whole cohort or one of its
-- segments) or one channel, every cohort of the window pooled (cohort_week null): routing
-- applies a channel's problem to every customer on that channel, and a 7-day window straddles
-- two or three cohort weeks, so splitting a channel by cohort would divide its evidence. A cell
-- with at least routing_min_conversations judged conversations (hand-offs for retention) whose
-- resolution rate or hand-off retention falls below the journey map's threshold gets a
-- recommendation. A segment cell only gets one its cohort does not already get, a channel cell
-- only one the stage as a whole (every channel and cohort of the window) does not: so that a
-- signal points at where the problem is.
--
-- prefer_channel:<channel> needs two kinds of evidence: the channel resolves the stage's
-- conversations better than the stage's other channels (the window), and the channel-mix lift
-- supports it: the journeys whose channel sequence uses the channel have a higher CSAT than
-- those whose sequence does not (marts.channel_mix, all history), with enough journeys with a
-- CSAT on both sides.

with

signal_window as (

    select * from {{ ref('int_signal_window') }}

),

map_stages as (

    select * from {{ ref('stg_journey_map_stages') }}

),

channel_mix as (

    select * from {{ ref('channel_mix') }}

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
    where transitions.is_first_entry
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
    where context_retention_status = 'completed'
        and context_retention_score is not null

),

cell_levels as (

    -- cohort: the stage for one cohort week; segment: one segment of it; channel: the stage on
    -- one channel, the window's cohorts pooled; stage: every cohort and channel pooled, only to
    -- tell a channel's problem from the stage's (never a signal of its own).
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
    where cell_levels.cell_level <> 'segment'
        or observations.segment is not null
    group by 1, 2, 3, 4, 5, 6, 7

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
        end as threshold,
        cast(null as {{ dbt.type_float() }}) as comparison_value,
        cast(null as {{ dbt.type_int() }}) as comparison_conversations,
        cast(null as {{ dbt.type_float() }}) as channel_csat_lift,
        cast(null as {{ dbt.type_int() }}) as channel_csat_journeys,
        cast(null as {{ dbt.type_int() }}) as other_csat_journeys

    from cells
    inner join map_stages
        on cells.journey_name = map_stages.journey_name
        and cells.stage = map_stages.stage
    where cells.conversations >= {{ var('routing_min_conversations') }}
        and cells.observed_value < case
            when cells.metric = 'resolution_rate' then map_stages.min_resolution
            else map_stages.min_context_retention
        end

),

threshold_signals as (

    -- A segment's breach its cohort shares, or a channel's breach the whole stage shares, is
    -- the wider cell's problem: only the wider cell's signal is kept (the stage's own breach
    -- is told per cohort).
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
    where breaches.cell_level <> 'stage'
        and wider_breaches.journey_name is null

),

channel_comparisons as (

    -- Each channel's resolution rate at the stage against the stage's other channels pooled,
    -- every cohort of the window.
    select
        channel_cells.journey_name,
        channel_cells.stage,
        channel_cells.channel,
        channel_cells.observed_value,
        channel_cells.conversations,
        stage_cells.conversations - channel_cells.conversations as others_conversations,
        (stage_cells.observed_value * stage_cells.conversations
            - channel_cells.observed_value * channel_cells.conversations)
            / nullif(stage_cells.conversations - channel_cells.conversations, 0) as others_value

    from cells as channel_cells
    inner join cells as stage_cells
        on channel_cells.journey_name = stage_cells.journey_name
        and channel_cells.stage = stage_cells.stage
        and channel_cells.metric = stage_cells.metric
    where channel_cells.metric = 'resolution_rate'
        and channel_cells.cell_level = 'channel'
        and stage_cells.cell_level = 'stage'

),

sequence_uses as (

    -- Each channel_mix row (a channel sequence with a CSAT) against each channel compared at a
    -- stage of its journey: does the sequence use the channel?
    select
        compared.journey_name,
        compared.channel,
        channel_mix.journeys_with_csat,
        channel_mix.csat_lift,
        case
            when {{ dbt.position(
                "(" ~ dbt.concat(["' > '", "compared.channel", "' > '"]) ~ ")",
                "(" ~ dbt.concat(["' > '", "channel_mix.channel_sequence", "' > '"]) ~ ")",
            ) }} > 0 then 1
            else 0
        end as uses_channel

    from (select distinct journey_name, channel from channel_comparisons) as compared
    inner join channel_mix
        on compared.journey_name = channel_mix.journey_name
    where channel_mix.journeys_with_csat > 0

),

channel_lifts as (

    -- The channel-mix lift of a channel: the journey-weighted mean csat_lift of the sequences
    -- that use it minus that of the sequences that do not, i.e. the mean CSAT of the journeys
    -- that used the channel minus that of the journeys that did not.
    select
        journey_name,
        channel,
        sum(case when uses_channel = 1 then journeys_with_csat else 0 end) as channel_csat_journeys,
        sum(case when uses_channel = 0 then journeys_with_csat else 0 end) as other_csat_journeys,
        sum(case when uses_channel = 1 then journeys_with_csat * csat_lift end)
            / nullif(sum(case when uses_channel = 1 then journeys_with_csat else 0 end), 0)
        - sum(case when uses_channel = 0 then journeys_with_csat * csat_lift end)
            / nullif(sum(case when uses_channel = 0 then journeys_with_csat else 0 end), 0)
            as channel_csat_lift

    from sequence_uses
    group by
        journey_name,
        channel

),

preferred_channels as (

    select
        channel_comparisons.*,
        channel_lifts.channel_csat_lift,
        channel_lifts.channel_csat_journeys,
        channel_lifts.other_csat_journeys,
        row_number() over (
            partition by channel_comparisons.journey_name, channel_comparisons.stage
            order by
                channel_comparisons.observed_value - channel_comparisons.others_value desc,
                channel_comparisons.channel
        ) as preference_rank

    from channel_comparisons
    inner join channel_lifts
        on channel_comparisons.journey_name = channel_lifts.journey_name
        and channel_comparisons.channel = channel_lifts.channel
    where channel_comparisons.conversations >= {{ var('routing_min_conversations') }}
        and channel_comparisons.others_conversations >= {{ var('routing_min_conversations') }}
        and channel_comparisons.observed_value - channel_comparisons.others_value
            >= {{ var('routing_channel_margin') }}
        and channel_lifts.channel_csat_journeys >= {{ var('routing_min_csat_journeys') }}
        and channel_lifts.other_csat_journeys >= {{ var('routing_min_csat_journeys') }}
        and channel_lifts.channel_csat_lift > {{ var('routing_min_csat_lift') }}

),

channel_signals as (

    select
        journey_name,
        stage,
        cast(null as {{ dbt.type_string() }}) as cohort_week,
        'resolution_rate' as metric,
        'channel' as cell_level,
        cast(null as {{ dbt.type_string() }}) as segment,
        channel,
        observed_value,
        conversations,
        {{ dbt.concat(["'prefer_channel:'", "channel"]) }} as recommendation,
        -- The bar the channel cleared: the other channels' rate plus the margin.
        others_value + {{ var('routing_channel_margin') }} as threshold,
        others_value as comparison_value,
        others_conversations as comparison_conversations,
        channel_csat_lift,
        channel_csat_journeys,
        other_csat_journeys

    from preferred_channels
    where preference_rank = 1

),

signals as (

    select
        journey_name, stage, cohort_week, metric, cell_level, segment, channel, observed_value,
        conversations, recommendation, threshold, comparison_value, comparison_conversations,
        channel_csat_lift, channel_csat_journeys, other_csat_journeys
    from threshold_signals

    union all

    select
        journey_name, stage, cohort_week, metric, cell_level, segment, channel, observed_value,
        conversations, recommendation, threshold, comparison_value, comparison_conversations,
        channel_csat_lift, channel_csat_journeys, other_csat_journeys
    from channel_signals

),

described as (

    select
        signals.*,
        signal_window.routing_window_start as window_start,
        signal_window.window_end,
        signal_window.as_of_date,
        map_stages.journey_map_version,
        -- How far the cell is from the bar: below it for a threshold breach, above it for a
        -- preferred channel.
        case
            when signals.recommendation in ('route_to_human_earlier', 'add_context_bridge')
                then signals.threshold - signals.observed_value
            else signals.observed_value - signals.threshold
        end as gap,
        -- "cohort 2026-W47, segment smb from 2026-11-16 to 2026-11-22", "every cohort on sms from
        -- 2026-11-16 to 2026-11-22"; a preferred channel is named in its own sentence.
        {{ dbt.concat([
            "coalesce(" ~ dbt.concat(["'cohort '", "signals.cohort_week"]) ~ ", 'every cohort')",
            "coalesce(" ~ dbt.concat(["', segment '", "signals.segment"]) ~ ", '')",
            "case when signals.recommendation like 'prefer_channel:%' then '' else coalesce("
                ~ dbt.concat(["' on '", "signals.channel"]) ~ ", '') end",
            "' from '", integer_text('signal_window.routing_window_start'),
            "' to '", integer_text('signal_window.as_of_date'),
        ]) }} as cell_text

    from signals
    cross join signal_window
    inner join map_stages
        on signals.journey_name = map_stages.journey_name
        and signals.stage = map_stages.stage

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            "recommendation", "'|'", "journey_name", "'|'", "stage", "'|'", "coalesce(cohort_week, '')",
            "'|'", "coalesce(segment, '')", "'|'", "coalesce(channel, '')",
            "'|'", integer_text('window_end'),
        ])) }} as signal_id,
        journey_name,
        stage,
        cohort_week,
        segment,
        channel,
        cell_level,
        recommendation,
        metric,
        observed_value,
        threshold,
        conversations,
        comparison_value,
        comparison_conversations,
        channel_csat_lift,
        channel_csat_journeys,
        other_csat_journeys,
        window_start,
        window_end,
        as_of_date,
        case
            when gap >= 0.15 then 'high'
            when gap >= 0.05 then 'medium'
            else 'low'
        end as severity,
        case
            when recommendation = 'route_to_human_earlier' then {{ dbt.concat([
                "stage", "' resolves '", percent_text('observed_value'), "' of conversations for '", "cell_text",
                "' (threshold '", percent_text('threshold'), "', '", integer_text('conversations'),
                "' conversations): hand these customers to a human agent earlier at '", "stage", "'.'",
            ]) }}
            when recommendation = 'add_context_bridge' then {{ dbt.concat([
                "'Hand-offs into '", "stage", text_literal(" keep the customer's context at "), decimal_text('observed_value'),
                "' for '", "cell_text", "' (threshold '", decimal_text('threshold'), "', '",
                integer_text('conversations'), "' hand-offs): pass what the customer said at earlier stages to the '",
                "stage", "' agent.'",
            ]) }}
            else {{ dbt.concat([
                "'At '", "stage", "', '", "channel", "' resolves '", percent_text('observed_value'), "' vs '",
                percent_text('comparison_value'), "' on other channels for '", "cell_text", "' ('",
                integer_text('conversations'), "' vs '", integer_text('comparison_conversations'),
                "' conversations), and journeys that use '", "channel", "' rate CSAT '",
                decimal_text('channel_csat_lift'), "' higher than those that do not ('",
                integer_text('channel_csat_journeys'), "' vs '", integer_text('other_csat_journeys'),
                "' journeys with a CSAT): prefer '", "channel", "' at this stage.'",
            ]) }}
        end as reason,
        journey_map_version,
        {{ utc_now() }} as generated_at

    from described

)

select * from final
