-- Consent per journey, stage and channel: what customers decided, where each decision was stated
-- or inherited, and the propagation gaps (a conversation judged by an LLM, or whose transcript was
-- kept after its day was evaluated, although its effective consent forbade it). Gaps must be 0.

with

consent as (

    select * from {{ ref('stg_customer_consent') }}

),

conversations as (

    select * from {{ ref('stg_conversations') }}

),

evaluations as (

    select * from {{ ref('stg_evaluations') }}

),

evaluated as (

    select
        conversation_id,
        bool_or(engine not in ('local', 'none')) as judged_by_llm,
        bool_and(status <> 'failed') as evaluations_succeeded

    from evaluations
    group by conversation_id

),

joined as (

    select
        coalesce(conversations.journey_name, 'unknown') as journey_name,
        coalesce(conversations.stage, 'unknown') as stage,
        conversations.channel,
        consent.ai_evaluation,
        consent.ai_evaluation_source,
        consent.recording,
        consent.recording_source,
        conversations.transcript_kept,
        coalesce(evaluated.judged_by_llm, false) as judged_by_llm,
        coalesce(evaluated.evaluations_succeeded, false) as evaluations_succeeded

    from consent
    inner join conversations
        on consent.conversation_id = conversations.conversation_id
    left join evaluated
        on consent.conversation_id = evaluated.conversation_id

),

final as (

    select
        journey_name,
        stage,
        channel,
        count(*) as conversations,
        sum(case when not ai_evaluation then 1 else 0 end) as ai_evaluation_declined,
        sum(case when not recording then 1 else 0 end) as recording_declined,
        sum(case when ai_evaluation_source = 'stated' then 1 else 0 end) as ai_evaluation_stated,
        sum(case when ai_evaluation_source = 'inherited' then 1 else 0 end) as ai_evaluation_inherited,
        sum(case when ai_evaluation_source = 'default' then 1 else 0 end) as ai_evaluation_default,
        sum(case when recording_source = 'stated' then 1 else 0 end) as recording_stated,
        sum(case when recording_source = 'inherited' then 1 else 0 end) as recording_inherited,
        sum(case when recording_source = 'default' then 1 else 0 end) as recording_default,
        sum(case when not transcript_kept then 1 else 0 end) as transcripts_not_kept,
        sum(case when not ai_evaluation and judged_by_llm then 1 else 0 end) as judged_despite_consent,
        sum(
            case when not recording and transcript_kept and evaluations_succeeded then 1 else 0 end
        ) as kept_despite_consent,
        sum(
            case
                when
                    (not ai_evaluation and judged_by_llm)
                    or (not recording and transcript_kept and evaluations_succeeded) then 1
                else 0
            end
        ) as propagation_gaps

    from joined
    group by
        journey_name,
        stage,
        channel

)

select * from final
