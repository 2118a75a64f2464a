{{ config(**daily_partitioned_config()) }}

-- The list and regex work on `turns` stays in this model (through the engine-dispatched macros of
-- macros/lists.sql): downstream models read plain flags and never unnest `turns`.

with

source as (

    select * from {{ source('raw', 'conversations') }}
    where {{ in_partition_window('partition_date') }}

),

with_text as (

    select
        *,
        {{ turn_texts('turns') }} as transcript_text

    from source

),

-- Ingestion redacted every turn, so anything found here is a leak (macros/pii.sql): every turn
-- is scanned, the customer's and the agent's.
with_pii as (

    select
        *,
        {{ regex_contains('transcript_text', pii_pattern('email')) }} as has_pii_email,
        -- Emails and long digit runs are blanked before the phone scan, so that a card number
        -- never counts as a phone number too.
        {{ regex_contains(
            regex_replace_all(
                regex_replace_all('transcript_text', pii_pattern('email'), "' '"),
                pii_pattern('card_candidate'), "' '"
            ),
            pii_pattern('phone')
        ) }} as has_pii_phone,
        {{ contains_payment_card('transcript_text') }} as has_pii_payment_card,
        {{ contains_iban('transcript_text') }} as has_pii_iban,
        {{ regex_contains('transcript_text', pii_pattern('street_address')) }}
            or {{ regex_contains('transcript_text', pii_pattern('postcode')) }} as has_pii_postal_address,
        {{ regex_contains('transcript_text', pii_pattern('redaction_marker')) }} as has_redaction_marker,
        {{ redactor_finds_pii('transcript_text') }} as redactor_finds_pii

    from with_text

),

renamed as (

    select
        conversation_id,
        journey_id,
        customer_id,
        journey_name,
        stage,
        -- A missing channel is kept visible as 'unknown' (it shows in journey_map_drift) rather
        -- than producing null grain keys in the channel marts.
        coalesce(channel, 'unknown') as channel,
        agent_type,
        segment,
        consent,
        case
            when lower(trim(consent)) in ('granted', 'denied', 'withdrawn') then lower(trim(consent))
            else 'unknown'
        end as consent_status,
        started_at,
        ended_at,
        outcome,
        turns,
        turn_count,
        span_count,
        trace_ids,
        source_files,
        -- false once the turns were removed because the customer declined recording
        coalesce(transcript_kept, true) as transcript_kept,

        has_pii_email,
        has_pii_phone,
        has_pii_payment_card,
        has_pii_iban,
        has_pii_postal_address,
        has_pii_email
            or has_pii_phone
            or has_pii_payment_card
            or has_pii_iban
            or has_pii_postal_address as has_pii,
        has_redaction_marker,
        -- The leak check: what ingestion's redactor removes, found in text it already redacted.
        has_pii_email
            or has_pii_payment_card
            or has_pii_iban
            or redactor_finds_pii as has_pii_leak,

        -- The trace contract: a conversation without its journey, customer or stage must not
        -- reach any rollup (the blocking ingestion check fails the partition above a tolerance).
        journey_id is not null
            and customer_id is not null
            and journey_name is not null
            and stage is not null
            and started_at is not null as is_rollup_eligible,

        partition_date,
        ingested_at

    from with_pii

)

select * from renamed
