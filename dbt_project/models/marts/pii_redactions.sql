-- What ingestion redacted, per journey, stage, channel and personal-data type: the evidence that
-- personal data was taken out before anything was stored, for the compliance page.

with

redactions as (

    select * from {{ ref('stg_pii_redactions') }}

),

conversations as (

    select * from {{ ref('stg_conversations') }}

),

final as (

    select
        coalesce(conversations.journey_name, 'unknown') as journey_name,
        coalesce(conversations.stage, 'unknown') as stage,
        coalesce(conversations.channel, 'unknown') as channel,
        redactions.pii_type,
        count(distinct redactions.conversation_id) as conversations,
        sum(redactions.redacted_count) as values_redacted

    from redactions
    left join conversations
        on redactions.conversation_id = conversations.conversation_id
    group by all

)

select * from final
