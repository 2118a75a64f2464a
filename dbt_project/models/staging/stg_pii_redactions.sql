with

source as (

    select * from {{ source('raw', 'pii_redactions') }}

),

renamed as (

    select
        conversation_id,
        pii_type,
        redacted_count,
        partition_date,
        ingested_at

    from source

)

select * from renamed
