{{ config(**daily_partitioned_config()) }}

-- The conversation-level fact with every evaluator's verdict, for drill-downs and transcript
-- views. The conversation's own attributes are kept as recorded; cohort_week is the journey's
-- (macros/journey_cohorts.sql, over all history at build time).

with

conversations as (

    select * from {{ ref('stg_conversations') }}
    where
        is_rollup_eligible
        and {{ in_partition_window('partition_date') }}

),

cohorts as (

    {{ journey_cohorts() }}

),

scores as (

    select * from {{ ref('int_conversation_scores') }}

),

consent as (

    select * from {{ ref('stg_customer_consent') }}

),

final as (

    select
        conversations.conversation_id,
        conversations.journey_id,
        conversations.customer_id,
        conversations.journey_name,
        conversations.stage,
        conversations.channel,
        conversations.agent_type,
        conversations.segment,
        cohorts.cohort_week,
        conversations.consent,
        conversations.consent_status,
        conversations.started_at,
        conversations.ended_at,
        conversations.outcome,
        conversations.turn_count,
        conversations.turns,
        conversations.trace_ids,
        conversations.has_pii,
        conversations.has_redaction_marker,
        -- the dashboards count declined conversations apart and do not show their transcripts
        coalesce(consent.ai_evaluation, true) as ai_evaluation_consent,
        conversations.transcript_kept,
        {% for prefix in evaluators() %}
            scores.{{ prefix }}_score,
            scores.{{ prefix }}_passed,
            scores.{{ prefix }}_status,
            scores.{{ prefix }}_reason,
            scores.{{ prefix }}_evidence,
        {% endfor %}
        coalesce(scores.is_judged, false) as is_judged,
        coalesce(scores.failed_any_evaluator, false) as failed_any_evaluator,
        conversations.partition_date

    from conversations
    inner join cohorts
        on conversations.journey_id = cohorts.journey_id
    left join scores
        on conversations.conversation_id = scores.conversation_id
    left join consent
        on conversations.conversation_id = consent.conversation_id

)

select * from final
