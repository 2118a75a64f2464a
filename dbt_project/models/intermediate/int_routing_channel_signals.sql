-- prefer_channel:<channel> needs two kinds of evidence: the channel resolves the stage's
-- conversations better than the stage's other channels (the routing window, every cohort
-- pooled) by routing_channel_margin, and the channel-mix lift supports it: the journeys whose
-- channel sequence uses the channel have a higher CSAT than those whose sequence does not
-- (marts.channel_mix, all history), with routing_min_csat_journeys journeys with a CSAT on both
-- sides. At most one channel per stage: the one that beats the others by most.

with

cells as (

    select * from {{ ref('int_routing_cells') }}
    where metric = 'resolution_rate'

),

channel_mix as (

    select * from {{ ref('channel_mix') }}

),

channel_comparisons as (

    -- Each channel's resolution rate at the stage against the stage's other channels pooled.
    select
        channel_cells.journey_name,
        channel_cells.stage,
        channel_cells.channel,
        channel_cells.observed_value,
        channel_cells.conversations,
        stage_cells.conversations - channel_cells.conversations as others_conversations,
        (
            stage_cells.observed_value * stage_cells.conversations
            - channel_cells.observed_value * channel_cells.conversations
        )
        / nullif(stage_cells.conversations - channel_cells.conversations, 0) as others_value

    from cells as channel_cells
    inner join cells as stage_cells
        on channel_cells.journey_name = stage_cells.journey_name
        and channel_cells.stage = stage_cells.stage
    where
        channel_cells.cell_level = 'channel'
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

    from (select distinct
        journey_name,
        channel
    from channel_comparisons) as compared
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
    where
        channel_comparisons.conversations >= {{ var('routing_min_conversations') }}
        and channel_comparisons.others_conversations >= {{ var('routing_min_conversations') }}
        and {{ at_least(
            'channel_comparisons.observed_value - channel_comparisons.others_value',
            var('routing_channel_margin'),
        ) }}
        and channel_lifts.channel_csat_journeys >= {{ var('routing_min_csat_journeys') }}
        and channel_lifts.other_csat_journeys >= {{ var('routing_min_csat_journeys') }}
        and {{ above('channel_lifts.channel_csat_lift', var('routing_min_csat_lift')) }}

),

channel_signals as (

    select
        journey_name,
        stage,
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

)

select * from channel_signals
