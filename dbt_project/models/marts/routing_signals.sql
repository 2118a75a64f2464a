-- Recommendations for the orchestrator that routes customers, read from the recent evaluator
-- signal: the last routing_window_days days up to as_of_date (int_signal_window). The signals
-- come from int_routing_threshold_signals (a cell below the journey map's threshold) and
-- int_routing_channel_signals (a channel to prefer at a stage); this mart gives each its window,
-- severity and the sentence a product manager reads.

with

signal_window as (

    select * from {{ ref('int_signal_window') }}

),

map_stages as (

    select * from {{ ref('stg_journey_map_stages') }}

),

threshold_signals as (

    select * from {{ ref('int_routing_threshold_signals') }}

),

channel_signals as (

    select * from {{ ref('int_routing_channel_signals') }}

),

signals as (

    select
        journey_name,
        stage,
        cohort_week,
        metric,
        cell_level,
        segment,
        channel,
        observed_value,
        conversations,
        recommendation,
        threshold,
        cast(null as {{ dbt.type_float() }}) as comparison_value,
        cast(null as {{ dbt.type_int() }}) as comparison_conversations,
        cast(null as {{ dbt.type_float() }}) as channel_csat_lift,
        cast(null as {{ dbt.type_int() }}) as channel_csat_journeys,
        cast(null as {{ dbt.type_int() }}) as other_csat_journeys

    from threshold_signals

    union all

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
        recommendation,
        threshold,
        comparison_value,
        comparison_conversations,
        channel_csat_lift,
        channel_csat_journeys,
        other_csat_journeys

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
        {{ routing_cell_text(
            cohort_week='signals.cohort_week',
            segment='signals.segment',
            channel='signals.channel',
            recommendation='signals.recommendation',
            window_start='signal_window.routing_window_start',
            as_of_date='signal_window.as_of_date',
        ) }} as cell_text

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
            when {{ at_least('gap', 0.15) }} then 'high'
            when {{ at_least('gap', 0.05) }} then 'medium'
            else 'low'
        end as severity,
        case
            when recommendation = 'route_to_human_earlier' then {{ route_to_human_earlier_reason() }}
            when recommendation = 'add_context_bridge' then {{ add_context_bridge_reason() }}
            else {{ prefer_channel_reason() }}
        end as reason,
        journey_map_version,
        {{ utc_now() }} as generated_at

    from described

)

select * from final
