-- Journey-level attributes. The trace contract puts them on every conversation of a journey;
-- should two conversations disagree, the journey's first conversation decides, so that every
-- journey is counted under exactly one name, cohort and segment.

with

conversations as (

    select * from {{ ref('stg_conversations') }}
    where is_rollup_eligible

),

ordered as (

    select
        *,
        row_number() over (
            partition by journey_id order by started_at, conversation_id
        ) as journey_conversation_number,
        row_number() over (
            partition by journey_id, case when segment is null then 1 else 0 end
            order by started_at, conversation_id
        ) as segment_rank

    from conversations

),

first_conversations as (

    select
        journey_id,
        customer_id,
        journey_name,
        started_at

    from ordered
    where journey_conversation_number = 1

),

first_segments as (

    -- customer.segment may be missing on some conversations: take the first one recorded.
    select
        journey_id,
        segment

    from ordered
    where
        segment is not null
        and segment_rank = 1

),

cohorts as (

    {{ journey_cohorts() }}

),

activity as (

    select
        journey_id,
        count(*) as conversations,
        max(coalesce(ended_at, started_at)) as last_activity_at

    from conversations
    group by journey_id

),

joined as (

    select
        first_conversations.journey_id,
        first_conversations.customer_id,
        first_conversations.journey_name,
        first_segments.segment,
        first_conversations.started_at,
        cohorts.cohort_week,
        activity.conversations,
        activity.last_activity_at

    from first_conversations
    inner join activity
        on first_conversations.journey_id = activity.journey_id
    inner join cohorts
        on first_conversations.journey_id = cohorts.journey_id
    left join first_segments
        on first_conversations.journey_id = first_segments.journey_id

)

select * from joined
