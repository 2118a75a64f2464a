-- Personal data still found in the (redacted) turns, redaction markers, and consent, per stage:
-- what the data holds today, for the compliance page. pii_email, pii_payment_card and pii_iban
-- are leaks of what ingestion redacts and must be zero (the leak test in stg_conversations.yml).

with

conversations as (

    select * from {{ ref('int_journey_conversations') }}

),

final as (

    select
        journey_name,
        stage,
        max(stage_order) as stage_order,
        count(*) as conversations,
        sum(case when has_pii then 1 else 0 end) as conversations_with_pii,
        sum(case when has_pii_email then 1 else 0 end) as pii_email,
        sum(case when has_pii_phone then 1 else 0 end) as pii_phone,
        sum(case when has_pii_payment_card then 1 else 0 end) as pii_payment_card,
        sum(case when has_pii_iban then 1 else 0 end) as pii_iban,
        sum(case when has_pii_postal_address then 1 else 0 end) as pii_postal_address,
        sum(case when has_redaction_marker then 1 else 0 end) as conversations_redacted,
        sum(case when consent_status = 'granted' then 1 else 0 end) as consent_granted,
        sum(case when consent_status = 'denied' then 1 else 0 end) as consent_denied,
        sum(case when consent_status = 'withdrawn' then 1 else 0 end) as consent_withdrawn,
        sum(case when consent_status = 'unknown' then 1 else 0 end) as consent_unknown,
        {{ rate('sum(case when has_pii then 1 else 0 end)', 'count(*)') }} as pii_rate

    from conversations
    group by
        journey_name,
        stage

)

select * from final
