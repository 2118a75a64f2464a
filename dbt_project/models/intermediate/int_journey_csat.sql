-- The journey's CSAT: the latest csat.score recorded for it (a later survey answer supersedes
-- an earlier one).

with

events as (

    select * from {{ ref('stg_journey_events') }}
    where
        event_type = 'csat'
        and journey_id is not null
        and csat_score is not null

),

ranked as (

    select
        *,
        row_number() over (
            partition by journey_id
            order by recorded_at desc nulls last, event_id desc
        ) as recency_rank,
        count(*) over (partition by journey_id) as csat_responses

    from events

),

latest as (

    select
        journey_id,
        csat_score as csat,
        recorded_at as csat_recorded_at,
        csat_responses

    from ranked
    where recency_rank = 1

)

select * from latest
