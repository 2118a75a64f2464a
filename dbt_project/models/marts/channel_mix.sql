with

journeys as (

    select * from {{ ref('journeys') }}

),

reference as (

    -- The lift baseline: all journeys of the same journey name that have a CSAT.
    select
        journey_name,
        avg(csat) as journey_name_avg_csat

    from journeys
    where csat is not null
    group by journey_name

),

sequences as (

    select
        journey_name,
        channel_sequence,
        count(*) as journeys,
        sum(case when completed_all_stages then 1 else 0 end) as completed_journeys,
        count(csat) as journeys_with_csat,
        avg(csat) as avg_csat

    from journeys
    group by
        journey_name,
        channel_sequence

),

final as (

    select
        sequences.journey_name,
        sequences.channel_sequence,
        sequences.journeys,
        sequences.completed_journeys,
        {{ rate('sequences.completed_journeys', 'sequences.journeys') }} as completion_rate,
        sequences.journeys_with_csat,
        sequences.avg_csat,
        reference.journey_name_avg_csat,
        sequences.avg_csat - reference.journey_name_avg_csat as csat_lift

    from sequences
    left join reference
        on sequences.journey_name = reference.journey_name

)

select * from final
