{{ config(**daily_partitioned_config()) }}

-- Incremental by day like stg_conversations: the partitioned conversation_evaluations reads it.

with

source as (

    select * from {{ source('raw', 'customer_consent') }}
    where {{ in_partition_window('partition_date') }}

),

renamed as (

    select
        conversation_id,
        customer_id,
        started_at,
        ai_evaluation,
        ai_evaluation_source,
        ai_evaluation_stated_in,
        recording,
        recording_source,
        recording_stated_in,
        partition_date,
        ingested_at

    from source

)

select * from renamed
