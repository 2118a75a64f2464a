{{ config(**daily_partitioned_config()) }}

with

source as (

    select * from {{ source('raw', 'journey_events') }}
    where {{ in_partition_window('partition_date') }}

),

renamed as (

    select
        event_id,
        event_type,
        journey_id,
        customer_id,
        journey_name,
        csat_score,
        recorded_at,
        source_file,
        partition_date,
        ingested_at

    from source

)

select * from renamed
