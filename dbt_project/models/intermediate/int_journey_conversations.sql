-- One row per rollup-eligible conversation, placed in its journey: the journey's attributes,
-- the stage's position in the journey map (null for a stage the map does not declare), the
-- evaluator verdicts, and the visit it belongs to (re-entry versus hand-off).

with

conversations as (

    select * from {{ ref('stg_conversations') }}
    where is_rollup_eligible

),

journeys as (

    select * from {{ ref('int_journeys') }}

),

map_stages as (

    select * from {{ ref('stg_journey_map_stages') }}

),

map_journeys as (

    select distinct
        journey_name,
        journey_map_version,
        stage_count

    from map_stages

),

scores as (

    select * from {{ ref('int_conversation_scores') }}

),

enriched as (

    select
        conversations.conversation_id,
        conversations.journey_id,
        journeys.journey_name,
        journeys.customer_id,
        journeys.cohort_week,
        journeys.segment,
        conversations.stage,
        map_stages.stage_order,
        map_journeys.stage_count,
        map_journeys.journey_map_version,
        conversations.channel,
        conversations.agent_type,
        conversations.started_at,
        conversations.ended_at,
        coalesce(conversations.ended_at, conversations.started_at) as ended_or_started_at,
        conversations.outcome,
        conversations.consent_status,
        conversations.has_pii,
        conversations.has_pii_email,
        conversations.has_pii_phone,
        conversations.has_pii_payment_card,
        conversations.has_pii_iban,
        conversations.has_pii_postal_address,
        conversations.has_redaction_marker,
        {% for prefix in evaluators() %}
            scores.{{ prefix }}_score,
            scores.{{ prefix }}_passed,
            scores.{{ prefix }}_status,
        {% endfor %}
        coalesce(scores.is_judged, false) as is_judged,
        coalesce(scores.failed_any_evaluator, false) as failed_any_evaluator,
        conversations.partition_date

    from conversations
    inner join journeys
        on conversations.journey_id = journeys.journey_id
    left join map_journeys
        on journeys.journey_name = map_journeys.journey_name
    left join map_stages
        on journeys.journey_name = map_stages.journey_name
        and conversations.stage = map_stages.stage
    left join scores
        on conversations.conversation_id = scores.conversation_id

),

sequenced as (

    select
        *,
        row_number() over (
            partition by journey_id order by started_at, conversation_id
        ) as journey_conversation_number,
        lag(stage) over (partition by journey_id order by started_at, conversation_id) as previous_stage,
        lag(stage_order)
            over (partition by journey_id order by started_at, conversation_id)
            as previous_stage_order,
        lag(channel) over (partition by journey_id order by started_at, conversation_id) as previous_channel,
        row_number() over (
            partition by journey_id, stage order by started_at, conversation_id
        ) as stage_conversation_number,
        lag(ended_or_started_at) over (
            partition by journey_id, stage order by started_at, conversation_id
        ) as previous_at_stage_ended_at

    from enriched

),

visits as (

    select
        *,
        -- A new visit to the stage starts with the journey's first conversation there, after a
        -- conversation at another stage, or after a gap of more than reentry_gap_hours since the
        -- previous conversation at the stage ended. Anything else (chat escalated to voice
        -- minutes later) is a hand-off within the same visit.
        stage_conversation_number = 1
        or previous_stage <> stage
        or started_at > {{ dbt.dateadd('hour', var('reentry_gap_hours'), 'previous_at_stage_ended_at') }}
            as starts_visit

    from sequenced

),

final as (

    select
        *,
        starts_visit and stage_conversation_number > 1 as is_reentry,
        sum(case when starts_visit then 1 else 0 end) over (
            partition by journey_id, stage
            order by started_at, conversation_id
            rows between unbounded preceding and current row
        ) as visit_number

    from visits

)

select * from final
